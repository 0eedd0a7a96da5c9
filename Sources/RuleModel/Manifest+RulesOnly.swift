extension Manifest {
    /// A manifest of `rules` and `settings` alone, every object fact empty:
    /// for what reads only the rules (the exporter, reports) and runs without
    /// an object: tests, and the exporter's fuzz target.
    public init(rules: [Manifest.RuleEntry], settings: Settings = Settings()) {
        self.init(
            generator: .init(name: "vtapc", version: "0", clang: "14"), rulesFile: .init(path: "r.json", sha256: ""),
            object: .init(file: "r.o", size: 0, sha256: ""),
            build: .init(clangArguments: [], strategy: "", decisionFunctions: 0, plans: []),
            programs: [], maps: [], structs: [], globals: [],
            slots: .init(protocols: ProtocolClass.allCases.map(\.name), totals: ObjectContract.totals, arrivals: ""),
            rules: rules, settings: settings, verifier: nil)
    }
}
