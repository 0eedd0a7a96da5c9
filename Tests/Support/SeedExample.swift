/// The 2021 seed project's example rules file, verbatim (rules/seed.json).
public enum SeedExample {
    public static let rules = """
        {
            "RULES": [
                //source_ip destination_ip source_port destination_port protocol
                "1.1.1.1 2.2.2.2 11 22 TCP",
                "3.3.3.3 - - - [TCP,UDP]",
            ],
            "DISPLAY": {"Throughput": "True", "Goodput": "True", "Jitter": "True", "SEQ_ERRORS": "True"},
            "PATTERN": "0xE7A5C318",
            "OFFSET": 4,
            "SEQUENCE_THRESHOLD": 2,
            "MONITOR_SERVER": "True",
            "LOG_DATA": "False"
        }

        """
}
