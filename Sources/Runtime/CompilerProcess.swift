import Foundation
import VtapDiagnostics
import VtapSystem

/// How the loader turns a rules file into an object: it links no compiler
/// (LLVM and clang would be 70 of its 85 MiB), so it runs vtapc, whose
/// diagnostics reach the user's terminal unchanged and whose exit code
/// becomes vtap's.
public struct CompilerProcess: Sendable {
    /// The vtapc that will run.
    public let executable: String

    /// `--vtapc PATH` when given; else the vtapc installed beside this vtap
    /// (a package puts both in /usr/bin, a build in .build/…); else the
    /// first on PATH.
    public static func locate(explicit: String?, forRules rulesPath: String) throws -> CompilerProcess {
        if let explicit {
            guard isExecutableFile(explicit) else {
                throw RuntimeError.compilerUnavailable("--vtapc \(explicit): not an executable file")
            }
            return CompilerProcess(executable: explicit)
        }
        let ownDirectory = URL(fileURLWithPath: ChildProcess.currentExecutable).deletingLastPathComponent().path
        let candidates =
            [ownDirectory] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in candidates where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent("vtapc").path
            if isExecutableFile(candidate) { return CompilerProcess(executable: candidate) }
        }
        throw RuntimeError.compilerUnavailable(
            "\(rulesPath) is a rules file and no vtapc was found (beside vtap, on PATH, or --vtapc): "
                + "compile it where vtapc is installed (vtapc \(rulesPath) -o filter.o) and run filter.o")
    }

    /// Compiles and verifies `rulesPath` into a private temporary directory,
    /// reads the object and manifest back, and removes the directory.
    public func compile(rulesPath: String) throws -> MeasurementObject {
        let temporary = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("vtap-compile-XXXXXX")
        var template = Array(temporary.path.utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
        }
        guard let directory = created else {
            throw RuntimeError.io(
                "cannot create a directory for the compiled rules: \(SystemError.current.description)")
        }
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The manifest records the object's file name: the rules file's, as vtapc would choose.
        let stem = URL(fileURLWithPath: rulesPath).deletingPathExtension().lastPathComponent
        let objectPath = URL(fileURLWithPath: directory).appendingPathComponent(stem + ".o").path

        // --quiet: vtapc's success line would name the temporary object.
        // Diagnostics go to the inherited stderr; nothing may reach stdout,
        // where vtap's JSON lines go.
        let termination: ChildProcess.Termination
        do {
            termination = try ChildProcess.spawn(
                executable, arguments: [rulesPath, "-o", objectPath, "--quiet"], standardInput: .null,
                standardOutput: .null
            ).wait()
        } catch {
            throw RuntimeError.compilerUnavailable("cannot run \(executable): \(SystemError.describe(error))")
        }
        switch termination {
        case .signalled(let signal):
            throw RuntimeError.internalError(
                "\(executable) was killed by signal \(signal) while compiling \(rulesPath)")
        case .exited(let status) where status != ExitCodes.success:
            throw RuntimeError.compileFailed(
                "\(rulesPath) did not compile (\(executable) exited with \(status); its messages are above)",
                exitCode: status)
        case .exited: break
        }
        let compiled = try MeasurementObject.open(objectPath: objectPath)
        return try MeasurementObject(elf: compiled.elf, manifest: compiled.manifest, origin: rulesPath)
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG && access(path, X_OK) == 0
    }
}
