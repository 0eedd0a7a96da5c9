import Testing

@testable import VtapBPF

#if canImport(Glibc)
    import Glibc
#endif

/// Verifier logs saved from this project's kernel (6.18) by loading the
/// broken programs in BPFTestPrograms with `Verifier.dryRun`. The
/// "without source text" log is what the in-process clang's objects give
/// today (line info without the C text); the others were compiled with
/// `-gembed-source -dwarf-version=5`, which puts the text in the line info.
/// `tooLarge` is the tail the kernel kept of a 16 MiB rotating log.
enum SavedVerifierLogs {
    static let uncheckedMapValue = #"""
        0: R1=ctx() R10=fp0
        ; __u32 key = skb->len; @ vtap_test.c:27
        0: (61) r1 = *(u32 *)(r1 +0)          ; R1=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        1: (63) *(u32 *)(r10 -4) = r1         ; R1=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0 fp-8=mmmm????
        2: (bf) r2 = r10                      ; R2=fp0 R10=fp0
        ;  @ vtap_test.c:0
        3: (07) r2 += -4                      ; R2=fp-4
        ; __u64 *value = bpf_map_lookup_elem(&vtap_table, &key); @ vtap_test.c:28
        4: (18) r1 = 0xffff88814b4f7400       ; R1=map_ptr(map=vtap_table,ks=4,vs=8)
        6: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=1,map=vtap_table,ks=4,vs=8)
        ; *value += 1; @ vtap_test.c:29
        7: (79) r1 = *(u64 *)(r0 +0)
        R0 invalid mem access 'map_value_or_null'
        verification time 134 usec
        stack depth 8
        processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
        """#

    static let uncheckedMapValueWithoutSourceText = #"""
        0: R1=ctx() R10=fp0
        ;  @ vtap_test.c:27
        0: (61) r1 = *(u32 *)(r1 +0)          ; R1=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        1: (63) *(u32 *)(r10 -4) = r1         ; R1=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R10=fp0 fp-8=mmmm????
        2: (bf) r2 = r10                      ; R2=fp0 R10=fp0
        ;  @ vtap_test.c:0
        3: (07) r2 += -4                      ; R2=fp-4
        ;  @ vtap_test.c:28
        4: (18) r1 = 0xffff88814b4f7400       ; R1=map_ptr(map=vtap_table,ks=4,vs=8)
        6: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=1,map=vtap_table,ks=4,vs=8)
        ;  @ vtap_test.c:29
        7: (79) r1 = *(u64 *)(r0 +0)
        R0 invalid mem access 'map_value_or_null'
        verification time 104 usec
        stack depth 8
        processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
        """#

    static let stackOutOfBounds = #"""
        0: R1=ctx() R10=fp0
        ; int vtap_stack(struct __sk_buff *skb) @ vtap_test.c:17
        0: (bf) r3 = r10                      ; R3=fp0 R10=fp0
        ;  @ vtap_test.c:0
        1: (07) r3 += -4                      ; R3=fp-4
        ; bpf_skb_load_bytes(skb, 0, small, 8); @ vtap_test.c:20
        2: (b4) w2 = 0                        ; R2=0
        3: (b4) w4 = 8                        ; R4=8
        4: (85) call bpf_skb_load_bytes#26
        invalid write to stack R3 off=-4 size=8
        verification time 49 usec
        stack depth 0
        processed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
        """#

    static let infiniteLoop = #"""
        0: R1=ctx() R10=fp0
        ; int vtap_forever(struct __sk_buff *skb) @ vtap_test.c:17
        0: (b4) w1 = 0                        ; R1=0
        ; volatile __u32 spin = 0; @ vtap_test.c:19
        1: (63) *(u32 *)(r10 -4) = r1         ; R1=0 R10=fp0 fp-8=0000????
        2: (b4) w1 = 1                        ; R1=1
        ; spin = 1; @ vtap_test.c:21
        3: (63) *(u32 *)(r10 -4) = r1         ; R1=1 R10=fp0 fp-8=mmmm????
        ; for (;;) @ vtap_test.c:20
        4: (05) goto pc-2
        ; spin = 1; @ vtap_test.c:21
        3: (63) *(u32 *)(r10 -4) = r1         ; R1=1 R10=fp0 fp-8=mmmm????
        ; for (;;) @ vtap_test.c:20
        4: (05) goto pc-2
        ; spin = 1; @ vtap_test.c:21
        3: (63) *(u32 *)(r10 -4) = r1         ; R1=1 R10=fp0 fp-8=mmmm????
        ; for (;;) @ vtap_test.c:20
        4: (05) goto pc-2
        ; spin = 1; @ vtap_test.c:21
        infinite loop detected at insn 3
        cur state: R1=1 R10=fp0 fp-8=mmmm????
        old state: R1=1 R10=fp0 fp-8=mmmm????
        verification time 91 usec
        stack depth 8
        processed 10 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0
        """#

    static let tooLarge = #"""
        32 i = 0; i < 3000000; i++) @ vtap_test.c:21
        6: (04) w2 += 1                       ; R2=0x22c33
        7: (16) if w2 == 0x2dc6c0 goto pc+1   ; R2=0x22c33
        8: (05) goto pc-6
        ; sum += i ^ skb->len; @ vtap_test.c:22
        3: (bc) w3 = w1                       ; R1=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R3=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        4: (ac) w3 ^= w2                      ; R2=0x22c33 R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        5: (0f) r0 += r3                      ; R0=scalar(smin=0,smax=umax=0x22c33fffdd3cc,var_off=(0x0; 0x3ffffffffffff)) R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        8: (05) goto pc-6
        ; sum += i ^ skb->len; @ vtap_test.c:22
        3: (bc) w3 = w1                       ; R1=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R3=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        4: (ac) w3 ^= w2                      ; R2=0x28b06 R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        5: (0f) r0 += r3                      ; R0=scalar(smin=0,smax=umax=0x28b06fffd74f9,var_off=(0x0; 0x3ffffffffffff)) R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        ; for (__u32 i = 0; i < 3000000; i++) @ vtap_test.c:21
        6: (04) w2 += 1                       ; R2=0x28b07
        7: (16) if w2 == 0x2dc6c0 goto pc+1   ; R2=0x28b07
        8: (05) goto pc-6
        ; sum += i ^ skb->len; @ vtap_test.c:22
        3: (bc) w3 = w1                       ; R1=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R3=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        4: (ac) w3 ^= w2                      ; R2=0x28b07 R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        5: (0f) r0 += r3                      ; R0=scalar(smin=0,smax=umax=0x28b07fffd74f8,var_off=(0x0; 0x3ffffffffffff)) R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        ; for (__u32 i = 0; i < 3000000; i++) @ vtap_test.c:21
        6: (04) w2 += 1                       ; R2=0x28b08
        7: (16) if w2 == 0x2dc6c0 goto pc+1   ; R2=0x28b08
        8: (05) goto pc-6
        ; sum += i ^ skb->len; @ vtap_test.c:22
        3: (bc) w3 = w1                       ; R1=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R3=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        4: (ac) w3 ^= w2                      ; R2=0x28b08 R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        5: (0f) r0 += r3                      ; R0=scalar(smin=0,smax=umax=0x28b08fffd74f7,var_off=(0x0; 0x3ffffffffffff)) R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        ; for (__u32 i = 0; i < 3000000; i++) @ vtap_test.c:21
        6: (04) w2 += 1                       ; R2=0x28b09
        7: (16) if w2 == 0x2dc6c0 goto pc+1   ; R2=0x28b09
        8: (05) goto pc-6
        ; sum += i ^ skb->len; @ vtap_test.c:22
        3: (bc) w3 = w1                       ; R1=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff)) R3=scalar(id=1,smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        4: (ac) w3 ^= w2                      ; R2=0x28b09 R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        5: (0f) r0 += r3                      ; R0=scalar(smin=0,smax=umax=0x28b09fffd74f6,var_off=(0x0; 0x3ffffffffffff)) R3=scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))
        ; for (__u32 i = 0; i < 3000000; i++) @ vtap_test.c:21
        6: (04) w2 += 1                       ; R2=0x28b0a
        7: (16) if w2 == 0x2dc6c0 goto pc+1   ; R2=0x28b0a
        8: (05) goto pc-6
        ; sum += i ^ skb->len; @ vtap_test.c:22
        3: (bc) w3 = w1
        BPF program is too large. Processed 1000001 insn
        verification time 8602643 usec
        stack depth 0
        processed 1000001 insns (limit 1000000) max_states_per_insn 4 total_states 16668 peak_states 16668 mark_read 0
        """#
}

@Suite struct BPFVerifierStatsParsing {
    @Test func parsesTheKernelStatsLine() {
        let stats = VerifierStats.parse(
            statsLine:
                "processed 1000001 insns (limit 1000000) max_states_per_insn 4 total_states 16668 peak_states 16668 mark_read 0"
        )
        #expect(
            stats
                == VerifierStats(
                    instructionsProcessed: 1_000_001, instructionLimit: 1_000_000, maxStatesPerInstruction: 4,
                    totalStates: 16668, peakStates: 16668, markRead: 0))
    }

    @Test func toleratesMissingAndUnknownFields() {
        let older = VerifierStats.parse(statsLine: "processed 39 insns (limit 131072), stack depth 0")
        #expect(older?.instructionsProcessed == 39)
        #expect(older?.instructionLimit == 131072)
        #expect(older?.totalStates == nil)
        let newer = VerifierStats.parse(
            statsLine:
                "processed 12 insns (limit 1000000) max_states_per_insn 1 total_states 3 peak_states 2 future_field 9")
        #expect(newer?.peakStates == 2)
        #expect(newer?.markRead == nil)
    }

    @Test func rejectsOtherLines() {
        #expect(VerifierStats.parse(statsLine: "BPF program is too large. Processed 1000001 insn") == nil)
        #expect(VerifierStats.parse(statsLine: "processed many insns") == nil)
        #expect(VerifierStats.parse(statsLine: "") == nil)
    }

    @Test func combinesTimeAndStackDepthFromAWholeLog() throws {
        let stats = try #require(VerifierStats.parse(log: SavedVerifierLogs.uncheckedMapValue))
        #expect(stats.instructionsProcessed == 7)
        #expect(stats.verificationTimeMicroseconds == 134)
        #expect(stats.stackDepths == [8])
        let multi = VerifierStats.parse(log: "stack depth 8+16+0\nprocessed 3 insns (limit 1000000)")
        #expect(multi?.stackDepths == [8, 16, 0])
        #expect(VerifierStats.parse(log: "0: R1=ctx() R10=fp0\nsomething failed") == nil)
    }
}

@Suite struct BPFVerifierLogSummary {
    @Test func uncheckedMapValuePointsAtTheCSourceLine() throws {
        let log = VerifierLog(SavedVerifierLogs.uncheckedMapValue)
        #expect(log.errorLine == "R0 invalid mem access 'map_value_or_null'")
        #expect(log.previousLine == "7: (79) r1 = *(u64 *)(r0 +0)")
        #expect(log.omittedLineCount == 11)
        let failing = try #require(log.failingSource)
        #expect(failing == SourceAnnotation(code: "*value += 1;", file: "vtap_test.c", line: 29))
        #expect(
            log.sourceAnnotations.map(\.line) == [27, 28, 29],
            "nearest three, oldest first, line 0 (compiler-made code) skipped")
        #expect(
            log.summary
                == "R0 invalid mem access 'map_value_or_null' at vtap_test.c:29 `*value += 1;` (11 lines omitted)")
        #expect(log.stats?.instructionsProcessed == 7)
        #expect(!log.truncated)
    }

    @Test func sourceTextCanBeFilledInFromTheGeneratedC() throws {
        let log = VerifierLog(SavedVerifierLogs.uncheckedMapValueWithoutSourceText)
        #expect(log.failingSource == SourceAnnotation(code: "", file: "vtap_test.c", line: 29))
        #expect(log.summary == "R0 invalid mem access 'map_value_or_null' at vtap_test.c:29 (11 lines omitted)")
        let source = BPFTestPrograms.uncheckedMapValue
        #expect(
            log.summary(filledFrom: ["vtap_test.c": source])
                == "R0 invalid mem access 'map_value_or_null' at vtap_test.c:29 `*value += 1;` (11 lines omitted)")
        let filled = log.sourceAnnotations(filledFrom: ["/vtap/vtap_test.c": source])
        #expect(
            filled.map(\.code) == [
                "__u32 key = skb->len;", "__u64 *value = bpf_map_lookup_elem(&vtap_table, &key);", "*value += 1;",
            ])
    }

    @Test func stackOutOfBounds() {
        let log = VerifierLog(SavedVerifierLogs.stackOutOfBounds)
        #expect(log.errorLine == "invalid write to stack R3 off=-4 size=8")
        #expect(log.previousLine == "4: (85) call bpf_skb_load_bytes#26")
        #expect(log.failingSource?.code == "bpf_skb_load_bytes(skb, 0, small, 8);")
        #expect(log.failingSource?.line == 20)
    }

    @Test func infiniteLoopSkipsTheStateDumps() {
        let log = VerifierLog(SavedVerifierLogs.infiniteLoop)
        #expect(log.errorLine == "infinite loop detected at insn 3")
        #expect(log.previousLine == "4: (05) goto pc-2")
        #expect(log.failingSource == SourceAnnotation(code: "spin = 1;", file: "vtap_test.c", line: 21))
        #expect(log.sourceAnnotations.map(\.code) == ["volatile __u32 spin = 0;", "for (;;)", "spin = 1;"])
    }

    @Test func tooLargeTruncatedLogStillHasItsTail() {
        let log = VerifierLog(SavedVerifierLogs.tooLarge, truncated: true)
        #expect(log.errorLine == "BPF program is too large. Processed 1000001 insn")
        #expect(log.previousLine == "3: (bc) w3 = w1")
        #expect(log.failingSource?.code == "sum += i ^ skb->len;")
        #expect(log.stats?.instructionsProcessed == 1_000_001)
        #expect(log.stats?.peakStates == 16668)
        #expect(log.summary.hasSuffix("lines omitted, log truncated)"))
        #expect(!log.summary.contains("\n"))
    }

    @Test func emptyAndTrailerOnlyLogs() {
        #expect(VerifierLog("").errorLine == nil)
        #expect(VerifierLog("").summary == "(empty log)")
        let trailer = VerifierLog("verification time 3 usec\nstack depth 0\nprocessed 2 insns (limit 1000000)\n")
        #expect(trailer.errorLine == nil)
        #expect(trailer.omittedLineCount == 0)
        let single = VerifierLog("unknown func bpf_foo#999\n")
        #expect(single.errorLine == "unknown func bpf_foo#999")
        #expect(single.previousLine == nil)
        #expect(single.summary == "unknown func bpf_foo#999")
    }

    @Test func excerptShowsSourceInstructionAndError() {
        let excerpt = VerifierLog(SavedVerifierLogs.uncheckedMapValue).excerpt
        #expect(
            excerpt.split(separator: "\n").suffix(3)
                == [
                    "; vtap_test.c:29 `*value += 1;`", "7: (79) r1 = *(u64 *)(r0 +0)",
                    "R0 invalid mem access 'map_value_or_null'",
                ])
    }
}

@Suite struct BPFSourceAnnotationParsing {
    @Test func parsesCodeFileAndLine() {
        #expect(
            SourceAnnotation(logLine: "; if (a @ b) return 0; @ rules.c:120")
                == SourceAnnotation(code: "if (a @ b) return 0;", file: "rules.c", line: 120))
        #expect(SourceAnnotation(logLine: "; x = 1;") == SourceAnnotation(code: "x = 1;"))
        #expect(SourceAnnotation(logLine: ";  @ vtap_test.c:0")?.line == 0)
        #expect(SourceAnnotation(logLine: "0: (b4) w1 = 0 ; R1=0") == nil)
    }
}

@Suite struct BPFErrorDescriptions {
    @Test func errnoValuesMapToKinds() {
        #expect(BPFError.fromErrno(EPERM, operation: "load").kind == .permission)
        #expect(BPFError.fromErrno(EACCES, operation: "load").kind == .permission)
        #expect(BPFError.fromErrno(ENOSYS, operation: "load").kind == .unsupported)
        #expect(BPFError.fromErrno(EOPNOTSUPP, operation: "load").kind == .unsupported)
        #expect(BPFError.fromErrno(EINVAL, operation: "probe", probing: true).kind == .unsupported)
        #expect(BPFError.fromErrno(EINVAL, operation: "load").kind == .system(errno: EINVAL))
        #expect(BPFError.fromErrno(-ENOENT, operation: "find").kind == .notFound)
        #expect(BPFError.fromErrno(EBUSY, operation: "attach").kind == .busy)
    }

    @Test func descriptionsAreOneLineAndNameOperationAndObject() {
        let error = BPFError(
            .verifierRejected(VerifierLog(SavedVerifierLogs.infiniteLoop)), operation: "load",
            object: "program 'vtap_forever' of object 'loop'", errno: EINVAL)
        #expect(
            error.description
                == "load program 'vtap_forever' of object 'loop': verifier rejected the program: infinite loop detected at insn 3 at vtap_test.c:21 `spin = 1;` (17 lines omitted) [EINVAL]"
        )
        let system = BPFError.fromErrno(
            EMFILE, operation: "create map", object: "map 'x'", detail: "line one\nline two")
        #expect(!system.description.contains("\n"))
        #expect(system.description.hasPrefix("create map map 'x': "))
    }
}
