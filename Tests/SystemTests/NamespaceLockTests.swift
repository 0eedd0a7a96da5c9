import Foundation
import Testing
import VtapSystem

struct NamespaceLockTests {
    /// One holder per name; the second is told the holder's pid; another
    /// name is another lock; closing frees it at once.
    @Test func oneHolderPerNameUntilItCloses() throws {
        let name = "vtap-test/\(getpid())/\(UInt64.random(in: 0...UInt64.max))"
        var first: NamespaceLock? = try NamespaceLock(name: name)
        #expect(first?.name == name)
        #expect(throws: NamespaceLock.Failure.held(holder: getpid())) { _ = try NamespaceLock(name: name) }
        let other = try NamespaceLock(name: name + "-other")
        #expect(other.name != name)
        first = nil
        let again = try NamespaceLock(name: name)
        #expect(again.name == name)
    }
}
