import Foundation

extension NetworkLab {
    /// One more veth pair between the lab's two namespaces, for tests that
    /// need several interfaces in one namespace (several vtap instances
    /// sharing one loopback). Named `vt<pid>-<n>s` / `vt<pid>-<n>r` with a
    /// fresh lab index `n`, so no other lab's names are ever met; up, IPv6
    /// off, no addresses. Deleted with the namespaces.
    public func addVethPair() throws -> (sender: String, receiver: String) {
        let base = "vt\(getpid())-\(LabRegistry.nextIndex())"
        let names = (sender: base + "s", receiver: base + "r")
        try CommandRunner.check([
            "ip", "link", "add", names.sender, "netns", namespace(.sender), "type", "veth",
            "peer", "name", names.receiver, "netns", namespace(.receiver),
        ])
        for (side, device) in [(Side.sender, names.sender), (.receiver, names.receiver)] {
            try CommandRunner.check([
                "ip", "netns", "exec", namespace(side), "sysctl", "-q", "-w", "net.ipv6.conf.\(device).disable_ipv6=1",
            ])
            if let mtu {
                try CommandRunner.check(["ip", "-n", namespace(side), "link", "set", "dev", device, "mtu", String(mtu)])
            }
            try CommandRunner.check(["ip", "-n", namespace(side), "link", "set", "dev", device, "up"])
        }
        return names
    }
}
