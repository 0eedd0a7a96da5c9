import ArgumentParser
import Foundation
import VtapController
import VtapDiagnostics

/// `--state-dir`, shared by start, stop and status.
struct StateDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("state-dir"),
        help: ArgumentHelp(
            "Where running instances are recorded (default: VTAP_STATE_DIR, else /run/vtap).", valueName: "dir"))
    var stateDirectory: String?

    var registry: InstanceRegistry {
        InstanceRegistry(stateDirectory: absolutePath(stateDirectory ?? InstanceRegistry.defaultStateDirectory))
    }
}

/// `path` from the current directory, so a detached child and the registry
/// name the same file whatever directory they are later read from.
func absolutePath(_ path: String) -> String {
    URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        .standardizedFileURL.path
}

/// One line on stderr and the documented exit code, for the instance commands.
enum InstanceFailure {
    static func exit(_ error: Error) -> ExitCode {
        switch error {
        case let error as ControllerError: fail(error.description, code: error.exitCode)
        case let error as ValidationError: fail(error.message, code: ExitCode.validationFailure.rawValue)
        default: Failure.exit(error)
        }
    }

    static func fail(_ message: String, code: Int32) -> ExitCode {
        StandardStreams.writeError("vtap: error: \(message)\n")
        return ExitCode(code)
    }
}
