import CClangBridge

#if canImport(Glibc)
    import Glibc
#endif

/// The in-process clang, fed only from memory.
public enum Clang {
    public struct Output: Sendable {
        /// The ELF object, when the compile succeeded.
        public var object: [UInt8]?
        /// clang's own diagnostics text.
        public var diagnostics: String
        public var status: Status
    }

    public enum Status: Sendable, Equatable {
        case ok
        /// The C did not compile.
        case errors
        /// clang rejected its arguments or crashed.
        case internalFailure
    }

    public static var version: String { String(cString: vtap_clang_version()) }

    /// Virtual directory every generated file lives under; also the DWARF
    /// compilation directory, so objects do not depend on where vtapc ran.
    public static let virtualRoot = "/vtap"

    /// cc1 flags, pinned: any change here changes every object's bytes.
    public static let bpfArguments: [String] = [
        "-triple", "bpfel", "-emit-obj", "-O2", "-target-cpu", "v3",
        "-debug-info-kind=constructor", "-dwarf-version=5",
        // BTF line info takes its source text from here, not from the disk.
        "-gembed-source",
        "-fdebug-compilation-dir=\(virtualRoot)",
        "-nostdsysteminc", "-nobuiltininc", "-ffreestanding",
        "-fno-jump-tables",
        "-Wall", "-Wundef", "-Wno-unused-function", "-Wno-unused-label",
        "-x", "c",
    ]

    /// Compiles `main` with the headers in `files` (paths relative to
    /// `virtualRoot`) visible to `#include "name"`.
    public static func compile(
        main: (name: String, text: String), headers: [(name: String, text: String)],
        arguments: [String] = bpfArguments
    ) -> Output {
        let all = [main] + headers
        let paths = all.map { "\(virtualRoot)/\($0.name)" }
        // One buffer holds every file's bytes; each file points into it.
        var joined: [UInt8] = []
        var spans: [(offset: Int, count: Int)] = []
        for file in all {
            spans.append((joined.count, file.text.utf8.count))
            joined.append(contentsOf: file.text.utf8)
        }
        joined.append(0)  // never empty, so the buffer always has a base address
        var output = vtap_clang_output()
        withCStrings(paths) { pathPointers in
            withCStrings(arguments) { argumentPointers in
                joined.withUnsafeBufferPointer { bytes in
                    let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
                    let files = spans.indices.map { i in
                        vtap_clang_file(path: pathPointers[i], contents: base + spans[i].offset, length: spans[i].count)
                    }
                    files.withUnsafeBufferPointer { fileBuffer in
                        argumentPointers.withUnsafeBufferPointer { args in
                            vtap_clang_compile(
                                pathPointers[0], fileBuffer.baseAddress, fileBuffer.count,
                                args.baseAddress, args.count, &output)
                        }
                    }
                }
            }
        }
        defer { vtap_clang_output_free(&output) }
        let diagnostics = output.diagnostics.map { String(cString: $0) } ?? ""
        let status: Status
        switch Int(output.status) {
        case Int(VTAP_CLANG_OK.rawValue): status = .ok
        case Int(VTAP_CLANG_ERRORS.rawValue): status = .errors
        default: status = .internalFailure
        }
        var object: [UInt8]?
        if status == .ok, let bytes = output.object {
            object = Array(UnsafeBufferPointer(start: bytes, count: output.object_size))
        }
        return Output(object: object, diagnostics: diagnostics, status: status)
    }
}

private func withCStrings<R>(_ strings: [String], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    let duplicated = strings.map { strdup($0) }
    defer { duplicated.forEach { free($0) } }
    return body(duplicated.map { UnsafePointer($0) })
}
