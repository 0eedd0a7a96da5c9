import Testing
import VtapBPF
import VtapCompiler

/// Small BPF C programs for the BPF layer's kernel tests, compiled with the
/// in-process clang. Everything is declared here: no system headers.
enum BPFTestPrograms {
    /// Declarations every test program starts with.
    static let prelude = """
        typedef unsigned char __u8;
        typedef unsigned short __u16;
        typedef unsigned int __u32;
        typedef unsigned long long __u64;
        #define SEC(n) __attribute__((section(n), used))
        #define BPF_MAP_TYPE_HASH 1
        #define BPF_MAP_TYPE_ARRAY 2
        #define BPF_MAP_TYPE_PERCPU_ARRAY 6
        #define BPF_HDR_START_MAC 0
        struct __sk_buff { __u32 len; __u32 pkt_type; __u32 mark; };
        static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
        static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) = (void *)2;
        static long (*bpf_skb_load_bytes)(const void *skb, __u32 offset, void *to, __u32 len) = (void *)26;
        static long (*bpf_skb_load_bytes_relative)(const void *skb, __u32 offset, void *to, __u32 len, __u32 start) = (void *)68;
        char LICENSE[] SEC("license") = "GPL";

        """

    /// A counting socket filter: per-CPU packet/byte counters (slot chosen
    /// by `vtap_cfg_replay`), a hash of EtherTypes, a UDP-port hit counter
    /// for live tests, and a large per-CPU array for snapshot tests.
    static let counter =
        prelude + """
            struct vtap_counter {
                __u64 packets;
                __u64 bytes;
                __u32 last_len;
                __u8 flags[3];
            };

            struct vtap_tagged {
                __u16 kind;
                union { __u32 v4; __u16 port; };
                struct { __u8 a; __u8 b; } pair;
            };

            struct { int (*type)[BPF_MAP_TYPE_PERCPU_ARRAY]; int (*max_entries)[4]; __u32 *key; struct vtap_counter *value; } vtap_counts SEC(".maps");
            struct { int (*type)[BPF_MAP_TYPE_HASH]; int (*max_entries)[64]; __u16 *key; __u64 *value; } vtap_ethertypes SEC(".maps");
            struct { int (*type)[BPF_MAP_TYPE_ARRAY]; int (*max_entries)[1]; __u32 *key; __u64 *value; } vtap_port_hits SEC(".maps");
            struct { int (*type)[BPF_MAP_TYPE_PERCPU_ARRAY]; int (*max_entries)[16]; __u32 *key; struct vtap_counter *value; } vtap_big SEC(".maps");

            volatile const __u32 vtap_cfg_replay = 0;
            volatile const __u32 vtap_cfg_snap = 0xffff;
            volatile const __u16 vtap_cfg_port = 0;
            __u64 vtap_seen = 0;
            struct vtap_tagged vtap_last_tag;

            SEC("socket")
            int vtap_count(struct __sk_buff *skb)
            {
                __u8 eth[14];
                if (bpf_skb_load_bytes_relative(skb, 0, eth, sizeof(eth), BPF_HDR_START_MAC) < 0)
                    return 0;
                __u16 type = (eth[12] << 8) | eth[13];
                __u32 key = vtap_cfg_replay ? 1 : 0;
                struct vtap_counter *counter = bpf_map_lookup_elem(&vtap_counts, &key);
                if (!counter)
                    return 0;
                counter->packets += 1;
                counter->bytes += skb->len;
                counter->last_len = skb->len;
                __u64 one = 1;
                __u64 *seen = bpf_map_lookup_elem(&vtap_ethertypes, &type);
                if (seen)
                    __sync_fetch_and_add(seen, 1);
                else
                    bpf_map_update_elem(&vtap_ethertypes, &type, &one, 0);
                vtap_seen += 1;
                vtap_last_tag.kind = type;
                return vtap_cfg_snap;
            }

            SEC("socket")
            int vtap_port_count(struct __sk_buff *skb)
            {
                __u8 head[24];
                if (bpf_skb_load_bytes_relative(skb, 0, head, sizeof(head), BPF_HDR_START_MAC) < 0)
                    return 0;
                if (head[12] != 0x08 || head[13] != 0x00 || head[14] != 0x45 || head[23] != 17)
                    return 0;
                __u8 ports[4];
                if (bpf_skb_load_bytes_relative(skb, 14 + 20, ports, sizeof(ports), BPF_HDR_START_MAC) < 0)
                    return 0;
                __u16 destination = (ports[2] << 8) | ports[3];
                if (destination != vtap_cfg_port)
                    return 0;
                __u32 key = 0;
                __u64 *hits = bpf_map_lookup_elem(&vtap_port_hits, &key);
                if (hits)
                    __sync_fetch_and_add(hits, 1);
                return 0;
            }
            """

    /// A program with a bitfield struct, for the layout error.
    static let bitfield =
        prelude + """
            struct vtap_bits { __u32 low : 4; __u32 high : 28; };
            struct vtap_bits vtap_bits_var;
            SEC("socket")
            int vtap_bits_prog(struct __sk_buff *skb) { return vtap_bits_var.low; }
            """

    /// Reads a map value without checking it for NULL.
    static let uncheckedMapValue =
        prelude + """
            struct { int (*type)[BPF_MAP_TYPE_HASH]; int (*max_entries)[4]; __u32 *key; __u64 *value; } vtap_table SEC(".maps");

            SEC("socket")
            int vtap_accepted(struct __sk_buff *skb)
            {
                return skb->len;
            }

            SEC("socket")
            int vtap_unchecked(struct __sk_buff *skb)
            {
                __u32 key = skb->len;
                __u64 *value = bpf_map_lookup_elem(&vtap_table, &key);
                *value += 1;
                return 0;
            }

            SEC("socket")
            int vtap_after(struct __sk_buff *skb)
            {
                return 1;
            }
            """

    /// Reads 8 bytes into a 4-byte stack buffer.
    static let stackOutOfBounds =
        prelude + """
            SEC("socket")
            int vtap_stack(struct __sk_buff *skb)
            {
                __u8 small[4];
                bpf_skb_load_bytes(skb, 0, small, 8);
                return small[0];
            }
            """

    /// Loops forever.
    static let infiniteLoop =
        prelude + """
            SEC("socket")
            int vtap_forever(struct __sk_buff *skb)
            {
                volatile __u32 spin = 0;
                for (;;)
                    spin = 1;
                return spin;
            }
            """

    /// A bounded loop with too many iterations for the verifier to walk.
    static let tooLarge =
        prelude + """
            SEC("socket")
            int vtap_huge(struct __sk_buff *skb)
            {
                __u64 sum = 0;
                #pragma clang loop unroll(disable)
                for (__u32 i = 0; i < 3000000; i++)
                    sum += i ^ skb->len;
                return sum;
            }
            """

    /// Compiles `source` (as `vtap_test.c`) to a BPF object, failing the test on errors.
    static func compile(_ source: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let output = Clang.compile(main: ("vtap_test.c", source), headers: [])
        guard output.status == .ok, let object = output.object else {
            Issue.record("clang failed: \(output.diagnostics)", sourceLocation: sourceLocation)
            throw CompileFailure(diagnostics: output.diagnostics)
        }
        return object
    }

    struct CompileFailure: Error { var diagnostics: String }

    /// An Ethernet frame: zero MACs, the EtherType, then `payloadLength` bytes.
    static func frame(etherType: UInt16, payloadLength: Int) -> [UInt8] {
        [UInt8](repeating: 0, count: 12) + [UInt8(etherType >> 8), UInt8(etherType & 0xFF)]
            + [UInt8](repeating: 0x45, count: payloadLength)
    }
}
