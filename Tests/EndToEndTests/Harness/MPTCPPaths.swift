import VtapTestSupport

extension NetworkLab {
    /// Two more veth pairs between the lab's namespaces for MPTCP: the
    /// sender gets 10.214.N.1 on each (N = 2, 3), an MPTCP endpoint that
    /// opens a subflow, and the receiver 10.214.N.2; both ends allow two
    /// extra subflows. A connection the sender opens to the receiver's
    /// first address then has three subflows. Returns the sender's
    /// interfaces, the lab's own first.
    func addMPTCPPaths() throws -> [String] {
        var senderInterfaces = [senderInterface]
        for path in 2...3 {
            let pair = try addVethPair()
            senderInterfaces.append(pair.sender)
            try CommandRunner.check([
                "ip", "-n", namespace(.sender), "addr", "add", "10.214.\(path).1/24", "dev", pair.sender,
            ])
            try CommandRunner.check([
                "ip", "-n", namespace(.receiver), "addr", "add", "10.214.\(path).2/24", "dev", pair.receiver,
            ])
            try CommandRunner.check([
                "ip", "-n", namespace(.sender), "mptcp", "endpoint", "add", "10.214.\(path).1", "dev", pair.sender,
                "subflow",
            ])
        }
        for side in [Side.sender, .receiver] {
            try CommandRunner.check([
                "ip", "-n", namespace(side), "mptcp", "limits", "set", "subflow", "2", "add_addr_accepted", "2",
            ])
        }
        return senderInterfaces
    }
}
