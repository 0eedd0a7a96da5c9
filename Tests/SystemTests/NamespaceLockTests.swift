import Foundation
import Testing
import VtapSystem

struct NamespaceLockTests {
    /// One holder per name; the second is told the holder's pid; another
    /// name is another lock; closing frees it at once.
    @Test func oneHolderPerNameUntilItCloses() throws {
        let name = "vtap-test/\(getpid())/\(UInt64.random(in: 0...UInt64.max))"
        var first: NamespaceLock? = try NamespaceLock(name: name)
        #expect(first?.name == name)
        #expect(throws: NamespaceLock.Failure.held(holder: getpid())) { _ = try NamespaceLock(name: name) }
        let other = try NamespaceLock(name: name + "-other")
        #expect(other.name != name)
        first = nil
        let again = try NamespaceLock(name: name)
        #expect(again.name == name)
    }
}

struct CapabilityTests {
    /// /proc/self/status's CapEff, bit by bit; CAP_SYS_ADMIN stands in for
    /// CAP_BPF and CAP_PERFMON, never for CAP_NET_RAW.
    @Test func theEffectiveSetSaysWhatIsMissing() throws {
        let rootLike = "Name:\tvtap\nCapEff:\t000001ffffffffff\n"
        #expect(Capability.effective(status: rootLike) == Set(Capability.allCases))
        #expect(Capability.missing(Capability.measuring, from: Capability.effective(status: rootLike)).isEmpty)
        // CAP_BPF (39), CAP_PERFMON (38) only: bits 38 and 39.
        let noRaw = "CapEff:\t000000c000000000\n"
        #expect(Capability.effective(status: noRaw) == [.bpf, .perfmon])
        #expect(Capability.missing(Capability.measuring, from: Capability.effective(status: noRaw)) == [.netRaw])
        // CAP_SYS_ADMIN (21) and CAP_NET_RAW (13), as older kernels granted BPF.
        let admin = "CapEff:\t0000000000202000\n"
        #expect(Capability.missing(Capability.measuring, from: Capability.effective(status: admin)).isEmpty)
        #expect(Capability.missing(Capability.measuring, from: []) == [.bpf, .perfmon, .netRaw])
        #expect(Capability.effective(status: "no such line") == nil)
        #expect(Capability.missing(Capability.measuring, from: nil).isEmpty, "unknown: nothing claimed")
    }
}
