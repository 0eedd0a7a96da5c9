// swift-tools-version:6.0
// The pipeline reads from the folder names:
// Frontend -> Sema -> RuleModel -> Codegen -> ClangBridge -> BPF -> (Metrics -> Outputs).
import PackageDescription

let llvmInclude = "/usr/lib/llvm-14/include"

/// The packaged executables resolve every symbol at start-up and then make
/// the relocations read-only (full RELRO, as Debian's hardening asks).
let shippedLinkerSettings: [LinkerSetting] = [.unsafeFlags(["-Xlinker", "-z", "-Xlinker", "now"])]

let package = Package(
    name: "vtap",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "vtapc", targets: ["vtapc"]),
        .executable(name: "vtap", targets: ["vtap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    ],
    targets: [
        // errno texts, atomic files, file locks, child processes: the system
        // calls every other module would otherwise wrap again.
        .target(name: "VtapSystem", path: "Sources/System"),
        // Source positions, diagnostics and their rendering.
        .target(name: "VtapDiagnostics", path: "Sources/Diagnostics"),
        // Rules text -> syntax tree with source ranges.
        .target(name: "VtapFrontend", dependencies: ["VtapDiagnostics"], path: "Sources/Frontend"),
        // The checked, typed rule model that codegen and the runtime share.
        .target(name: "VtapRuleModel", dependencies: ["VtapDiagnostics"], path: "Sources/RuleModel"),
        // Syntax tree -> checked rule model, one check per file.
        .target(
            name: "VtapSema", dependencies: ["VtapFrontend", "VtapRuleModel", "VtapDiagnostics"],
            path: "Sources/Sema"),
        // Rule model -> decision plan -> specialized BPF C (from templates/) + manifest.
        .target(
            name: "VtapCodegen", dependencies: ["VtapRuleModel"], path: "Sources/Codegen",
            plugins: ["EmbedTemplates"]),
        // In-process clang (C++ with a plain C header).
        .target(
            name: "CClangBridge", path: "Sources/ClangBridge",
            cxxSettings: [.unsafeFlags(["-I\(llvmInclude)", "-std=c++17", "-fno-rtti"])],
            linkerSettings: [.linkedLibrary("clang-cpp14"), .linkedLibrary("LLVM-14")]),
        // libbpf from Debian; only VtapBPF imports it.
        .systemLibrary(name: "CLibbpf", path: "Sources/CLibbpf"),
        .target(name: "VtapBPF", dependencies: ["CLibbpf", "VtapSystem"], path: "Sources/BPF"),
        // libpcap from Debian for reading pcap/pcapng captures.
        .systemLibrary(name: "CPcap", path: "Sources/CPcap"),
        .target(name: "VtapCapture", dependencies: ["CPcap"], path: "Sources/Capture"),
        // The compile pipeline shared by vtapc and vtap.
        .target(
            name: "VtapCompiler",
            dependencies: [
                "VtapDiagnostics", "VtapFrontend", "VtapSema", "VtapRuleModel", "VtapCodegen",
                "CClangBridge", "VtapBPF", "VtapSystem",
            ],
            path: "Sources/Compiler"),
        // Loads vtapc objects, replays captures through them, reads counters.
        .target(
            name: "VtapRuntime",
            dependencies: ["VtapBPF", "VtapRuleModel", "VtapMetrics", "VtapCapture", "VtapDiagnostics", "VtapSystem"],
            path: "Sources/Runtime"),
        // Pure: counter snapshots and what is computed from them.
        .target(name: "VtapMetrics", dependencies: ["VtapRuleModel"], path: "Sources/Metrics"),
        // /metrics for Prometheus: counters read from the maps at scrape time.
        .target(
            name: "VtapExporter",
            dependencies: [
                "VtapMetrics", "VtapRuleModel", "VtapSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Sources/Exporter"),
        // Several vtap instances: start (detached), stop, status, file_sd targets.
        .target(
            name: "VtapController", dependencies: ["VtapRuleModel", "VtapDiagnostics", "VtapSystem"],
            path: "Sources/Controller"),
        // Console tables, JSON and reports.
        .target(
            name: "VtapOutputs", dependencies: ["VtapMetrics", "VtapRuleModel", "VtapSystem"], path: "Sources/Outputs"),
        .executableTarget(
            name: "vtapc",
            dependencies: [
                "VtapCompiler", "VtapCodegen", "VtapRuleModel", "VtapDiagnostics", "VtapSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/vtapc", linkerSettings: shippedLinkerSettings),
        .executableTarget(
            name: "vtap",
            dependencies: [
                "VtapRuntime", "VtapOutputs", "VtapCapture", "VtapMetrics", "VtapDiagnostics", "VtapSystem",
                "VtapExporter", "VtapController",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/vtap", linkerSettings: shippedLinkerSettings),

        // Large, realistic rulesets for scale tests and benchmarks.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "VtapRuleGen", dependencies: ["CZlib", "VtapRuleModel"], path: "Sources/RuleGen"),
        .executableTarget(
            name: "vtap-rulegen", dependencies: ["VtapRuleGen", "VtapDiagnostics"], path: "Sources/vtap-rulegen"),

        // Benchmarks: per-packet, pattern and compile cost against the compared programs.
        .target(
            name: "VtapBench",
            dependencies: [
                "VtapCompiler", "VtapRuntime", "VtapCodegen", "VtapRuleGen", "VtapBPF", "VtapRuleModel",
                "VtapDiagnostics", "VtapMetrics", "VtapSystem",
            ],
            path: "Sources/Bench"),
        .executableTarget(
            name: "vtap-bench",
            dependencies: [
                "VtapBench", "VtapDiagnostics", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/vtap-bench"),

        // Fuzz targets for every front end that reads outside bytes (scripts/fuzz).
        .target(
            name: "VtapFuzz",
            dependencies: [
                "VtapBPF", "VtapCapture", "VtapCodegen", "VtapDiagnostics", "VtapExporter", "VtapFrontend",
                "VtapHTTPTestClient", "VtapMetrics", "VtapOutputs", "VtapRuleGen", "VtapRuleModel", "VtapSema",
            ],
            path: "Sources/Fuzz"),
        .executableTarget(name: "vtap-fuzz", dependencies: ["VtapFuzz", "VtapDiagnostics"], path: "Sources/vtap-fuzz"),

        // Build-time embedding of templates/ into VtapCodegen.
        .executableTarget(name: "vtap-embed-templates", path: "Sources/TemplateEmbedder"),
        .plugin(
            name: "EmbedTemplates", capability: .buildTool(),
            dependencies: ["vtap-embed-templates"], path: "Plugins/EmbedTemplates"),

        // Tests mirror the modules; kernel and end-to-end tests live apart.
        .target(
            name: "VtapTestSupport",
            dependencies: ["VtapDiagnostics", "VtapRuleModel", "VtapRuleGen", "VtapMetrics"],
            path: "Tests/Support"),
        // A blocking HTTP/1.1 client on plain sockets, apart from NIO, for
        // the exporter's tests; a module of its own, without the testing
        // library VtapTestSupport uses, so vtap-fuzz can use it too.
        .target(name: "VtapHTTPTestClient", path: "Tests/HTTPTestClient"),
        .testTarget(name: "SystemTests", dependencies: ["VtapSystem", "VtapTestSupport"], path: "Tests/SystemTests"),
        .testTarget(
            name: "FrontendTests", dependencies: ["VtapFrontend", "VtapTestSupport"],
            path: "Tests/FrontendTests"),
        .testTarget(
            name: "SemaTests", dependencies: ["VtapSema", "VtapFrontend", "VtapTestSupport"],
            path: "Tests/SemaTests"),
        .testTarget(
            name: "CodegenTests",
            dependencies: ["VtapCodegen", "VtapSema", "VtapFrontend", "VtapRuleGen", "VtapTestSupport"],
            path: "Tests/CodegenTests"),
        .testTarget(
            name: "CompilerTests", dependencies: ["VtapCompiler", "VtapSema", "VtapFrontend", "VtapTestSupport"],
            path: "Tests/CompilerTests"),
        .testTarget(
            name: "MetricsTests", dependencies: ["VtapMetrics", "VtapTestSupport"], path: "Tests/MetricsTests"),
        .testTarget(
            name: "OutputsTests",
            dependencies: ["VtapOutputs", "VtapMetrics", "VtapRuleModel", "VtapTestSupport"],
            path: "Tests/OutputsTests"),
        .testTarget(
            name: "ExporterTests",
            dependencies: ["VtapExporter", "VtapHTTPTestClient", "VtapMetrics", "VtapRuleModel", "VtapTestSupport"],
            path: "Tests/ExporterTests"),
        .testTarget(
            name: "ControllerTests", dependencies: ["VtapController", "VtapSystem", "VtapTestSupport"],
            path: "Tests/ControllerTests"),
        .testTarget(
            name: "RuntimeTests", dependencies: ["VtapRuntime", "VtapMetrics", "VtapRuleModel", "VtapTestSupport"],
            path: "Tests/RuntimeTests"),
        .testTarget(
            name: "KernelTests",
            dependencies: [
                "VtapCompiler", "VtapRuntime", "VtapMetrics", "VtapBPF", "VtapCapture", "VtapSema", "VtapCodegen",
                "VtapRuleGen",
                "VtapTestSupport",
            ],
            path: "Tests/KernelTests"),
        .testTarget(name: "FuzzTests", dependencies: ["VtapFuzz", "VtapTestSupport"], path: "Tests/FuzzTests"),
        .testTarget(
            name: "BenchTests", dependencies: ["VtapBench", "VtapTestSupport"], path: "Tests/BenchTests"),
        .testTarget(
            name: "EndToEndTests", dependencies: ["VtapTestSupport", "VtapRuleModel"],
            path: "Tests/EndToEndTests"),
        // What a test host installs: the Debian packages and the service unit.
        .testTarget(name: "PackagingTests", dependencies: ["VtapTestSupport"], path: "Tests/PackagingTests"),
    ],
    cxxLanguageStandard: .cxx17
)
