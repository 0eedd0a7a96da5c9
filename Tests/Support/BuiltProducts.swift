import Foundation

/// The executables `swift build` put beside the test binary.
public enum BuiltProducts {
    public static func path(of name: String) -> String {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // On Linux the tests run from <build>/vtapPackageTests.xctest.
        for _ in 0..<3 where !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent(name).path)
        {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent(name).path
    }

    public static var vtapc: String { path(of: "vtapc") }
    public static var vtap: String { path(of: "vtap") }
    public static var rulegen: String { path(of: "vtap-rulegen") }
}
