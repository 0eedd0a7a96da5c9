import Testing

extension Tag {
    /// Takes seconds of real traffic (paced sends, an iperf3 transfer):
    /// run always, but worth knowing when choosing what to run while editing.
    @Tag static var slow: Self
}
