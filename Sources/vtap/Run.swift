import ArgumentParser

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach to interfaces and measure until interrupted (or for --duration).",
        discussion: """
            One instance of the program is loaded per interface and attached to an AF_PACKET \
            socket there (or, with --attach tc, to the interface's TCX ingress and egress, and with \
            --attach xdp to its XDP hook); it \
            never changes a packet's fate, and nothing is copied to user space. \
            SIGINT or SIGTERM detaches, reports the last partial interval and a summary, and exits 0.
            """)

    @OptionGroup var options: RunOptions

    func run() throws {
        do {
            try LiveSession.run(options)
        } catch {
            throw Failure.exit(error)
        }
    }
}
