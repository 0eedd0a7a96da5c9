import Foundation
import Testing
import VtapRuleModel
import VtapTestSupport

/// The loader's own SHA-256 against coreutils' `sha256sum`, at every length
/// around the padding boundaries (55, 56, 63, 64 bytes and their multiples)
/// and on a large object-sized input.
@Suite struct ObjectDigestTests {
    static func sha256sum(_ bytes: [UInt8], in directory: TemporaryDirectory) throws -> String {
        let file = directory.file("input")
        try Data(bytes).write(to: file)
        let output = try CommandRunner.check(["sha256sum", file.path]).standardOutput
        return String(output.prefix(64))
    }

    @Test func agreesWithSha256sumAtEveryPaddingBoundary() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-digest")
        var random = SplitMix64(seed: 0x5EED)
        let lengths = Array(0...130) + [183, 184, 191, 192, 447, 448, 511, 512, 513, 4095, 4096, 65_537]
        for length in lengths {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            #expect(ObjectDigest.sha256Hex(bytes) == (try Self.sha256sum(bytes, in: directory)), "length \(length)")
        }
    }

    @Test func knownAnswers() {
        // FIPS 180-4 examples: "abc" and the 448-bit two-block message.
        #expect(
            ObjectDigest.sha256Hex(Array("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(
            ObjectDigest.sha256Hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(ObjectDigest.sha256Hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func aLargeObjectAgrees() throws {
        let directory = try TemporaryDirectory(prefix: "vtap-digest")
        var random = SplitMix64(seed: 7)
        let bytes = (0..<(8 << 20) + 17).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        #expect(ObjectDigest.sha256Hex(bytes) == (try Self.sha256sum(bytes, in: directory)))
    }
}
