/// What vtapc writes beside every object: enough for any runtime to use the
/// object without re-reading the rules — which maps hold what, how their
/// values are laid out (read from the object's BTF), the rules with their
/// labels, and the settings.
public struct Manifest: Codable, Sendable, Equatable {
    public static let currentSchemaVersion = 1

    public var schemaVersion: Int
    public var generator: Generator
    public var rulesFile: RulesFile
    public var object: Object
    public var build: Build
    /// Several programs may share the object (today: the measuring filter).
    public var programs: [Program]
    public var maps: [Map]
    public var structs: [Struct]
    /// Global variables a loader may set before load.
    public var globals: [Global]
    public var slots: Slots
    public var rules: [RuleEntry]
    public var settings: Settings
    /// Present when the verifier dry-run ran.
    public var verifier: [ProgramVerifier]?

    public init(
        schemaVersion: Int = Manifest.currentSchemaVersion, generator: Generator, rulesFile: RulesFile,
        object: Object, build: Build, programs: [Program], maps: [Map], structs: [Struct], globals: [Global],
        slots: Slots, rules: [RuleEntry], settings: Settings, verifier: [ProgramVerifier]?
    ) {
        self.schemaVersion = schemaVersion
        self.generator = generator
        self.rulesFile = rulesFile
        self.object = object
        self.build = build
        self.programs = programs
        self.maps = maps
        self.structs = structs
        self.globals = globals
        self.slots = slots
        self.rules = rules
        self.settings = settings
        self.verifier = verifier
    }

    public struct Generator: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var clang: String
        public init(name: String, version: String, clang: String) {
            self.name = name
            self.version = version
            self.clang = clang
        }
    }

    public struct RulesFile: Codable, Sendable, Equatable {
        /// As given on the command line.
        public var path: String
        public var sha256: String
        public init(path: String, sha256: String) {
            self.path = path
            self.sha256 = sha256
        }
    }

    public struct Object: Codable, Sendable, Equatable {
        /// File name of the object, relative to the manifest.
        public var file: String
        public var size: Int
        public var sha256: String
        public init(file: String, size: Int, sha256: String) {
            self.file = file
            self.size = size
            self.sha256 = sha256
        }
    }

    public struct Build: Codable, Sendable, Equatable {
        public var clangArguments: [String]
        /// How rules are matched: "decision-dag-inline" today.
        public var strategy: String
        public var decisionFunctions: Int
        public var plans: [Plan]
        /// What matching costs: absent for the programs vtap-bench compares.
        public var classifier: Classifier?
        public init(
            clangArguments: [String], strategy: String, decisionFunctions: Int, plans: [Plan],
            classifier: Classifier? = nil
        ) {
            self.clangArguments = clangArguments
            self.strategy = strategy
            self.decisionFunctions = decisionFunctions
            self.plans = plans
            self.classifier = classifier
        }

        /// The classifier's size and per-packet work, as built.
        public struct Classifier: Codable, Sendable, Equatable {
            /// Bytes of constant match data in the object (the decision
            /// table; 0 when the plans are inline code).
            public var tableBytes: Int
            public var bytesPerRule: Double
            /// Per family ("v4", "v6"): partitions a packet walks.
            public var partitions: [String: Int]
            /// Per family: the most decision nodes one packet visits, over
            /// all its partitions.
            public var walkBound: [String: Int]
            public init(tableBytes: Int, bytesPerRule: Double, partitions: [String: Int], walkBound: [String: Int]) {
                self.tableBytes = tableBytes
                self.bytesPerRule = bytesPerRule
                self.partitions = partitions
                self.walkBound = walkBound
            }
        }

        /// One partition of the classifier: a decision DAG over some rules.
        public struct Plan: Codable, Sendable, Equatable {
            public var family: String
            public var partition: Int
            /// Rules the partition holds whole.
            public var rules: Int
            public var splits: Int
            public var bounds: Int
            public init(family: String, partition: Int, rules: Int, splits: Int, bounds: Int) {
                self.family = family
                self.partition = partition
                self.rules = rules
                self.splits = splits
                self.bounds = bounds
            }
        }
    }

    public struct Program: Codable, Sendable, Equatable {
        public var name: String
        public var section: String
        public var type: String
        /// Where it attaches: "af_packet_socket" for the measuring filter.
        public var attach: String
        public var role: String
        public init(name: String, section: String, type: String, attach: String, role: String) {
            self.name = name
            self.section = section
            self.type = type
            self.attach = attach
            self.role = role
        }
    }

    public struct Map: Codable, Sendable, Equatable {
        public var name: String
        public var type: String
        public var keySize: Int
        public var valueSize: Int
        public var maxEntries: Int
        /// What the map is for, e.g. "rule_counters".
        public var role: String
        /// What a key means, e.g. "rule index".
        public var key: String
        /// The struct of the value, when it is one (see `structs`).
        public var valueStruct: String?
        public init(
            name: String, type: String, keySize: Int, valueSize: Int, maxEntries: Int, role: String, key: String,
            valueStruct: String?
        ) {
            self.name = name
            self.type = type
            self.keySize = keySize
            self.valueSize = valueSize
            self.maxEntries = maxEntries
            self.role = role
            self.key = key
            self.valueStruct = valueStruct
        }
    }

    public struct Struct: Codable, Sendable, Equatable {
        public var name: String
        public var size: Int
        public var fields: [Field]
        public init(name: String, size: Int, fields: [Field]) {
            self.name = name
            self.size = size
            self.fields = fields
        }

        public struct Field: Codable, Sendable, Equatable {
            public var name: String
            public var offset: Int
            public var size: Int
            public init(name: String, offset: Int, size: Int) {
                self.name = name
                self.offset = offset
                self.size = size
            }
        }

        public func field(_ name: String) -> Field? { fields.first { $0.name == name } }
    }

    public struct Global: Codable, Sendable, Equatable {
        public var name: String
        public var section: String
        public var offset: Int
        public var size: Int
        public init(name: String, section: String, offset: Int, size: Int) {
            self.name = name
            self.section = section
            self.offset = offset
            self.size = size
        }
    }

    /// Meaning of array indices that are not rule indices.
    public struct Slots: Codable, Sendable, Equatable {
        /// Index in the protocol-class maps.
        public var protocols: [String]
        /// Index in the totals map.
        public var totals: [String]
        /// How vtap_arrivals is indexed.
        public var arrivals: String
        /// Index in vtap_event_stats; absent without EVENTS.
        public var events: [String]?
        public init(protocols: [String], totals: [String], arrivals: String, events: [String]? = nil) {
            self.protocols = protocols
            self.totals = totals
            self.arrivals = arrivals
            self.events = events
        }
    }

    public struct RuleEntry: Codable, Sendable, Equatable {
        public var index: Int
        public var number: Int
        public var name: String?
        public var label: String
        public var source: String
        public var line: Int
        public var column: Int
        public init(index: Int, number: Int, name: String?, label: String, source: String, line: Int, column: Int) {
            self.index = index
            self.number = number
            self.name = name
            self.label = label
            self.source = source
            self.line = line
            self.column = column
        }
    }

    public struct ProgramVerifier: Codable, Sendable, Equatable {
        public var program: String
        public var instructionsProcessed: Int
        public var totalStates: Int?
        public var peakStates: Int?
        public var instructions: Int?
        public init(
            program: String, instructionsProcessed: Int, totalStates: Int?, peakStates: Int?, instructions: Int?
        ) {
            self.program = program
            self.instructionsProcessed = instructionsProcessed
            self.totalStates = totalStates
            self.peakStates = peakStates
            self.instructions = instructions
        }
    }

    public func map(named name: String) -> Map? { maps.first { $0.name == name } }
    public func structLayout(named name: String) -> Struct? { structs.first { $0.name == name } }
    public func global(named name: String) -> Global? { globals.first { $0.name == name } }
}
