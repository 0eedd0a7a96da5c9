import Testing
import VtapMetrics

/// Drop reasons, named as the kfree_skb tracepoint prints them.
@Suite struct StackDropTests {
    @Test func reasonNamesLoseTheEnumsPrefix() {
        let names: [UInt32: String] = [
            1: "SKB_CONSUMED", 3: "SKB_DROP_REASON_NO_SOCKET", 7: "OTHER_SUBSYSTEM_NAME",
        ]
        #expect(StackDrop.reasonName(1, kernelNames: names) == "CONSUMED")
        #expect(StackDrop.reasonName(3, kernelNames: names) == "NO_SOCKET")
        #expect(StackDrop.reasonName(7, kernelNames: names) == "OTHER_SUBSYSTEM_NAME")
        #expect(StackDrop.reasonName(9, kernelNames: names) == "reason_9")
    }
}
