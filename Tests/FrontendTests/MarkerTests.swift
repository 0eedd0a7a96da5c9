import Testing
import VtapDiagnostics
import VtapTestSupport

@Suite struct MarkerTests {
    @Test func stripsMarkersAndRecordsByteOffsets() {
        let input = Marked("ab‸c\nü‸x‸")
        #expect(input.text == "abc\nüx")
        #expect(input.offsets == [2, 6, 7])
        #expect(input.location(0) == SourceLocation(line: 1, column: 3))
        #expect(input.location(1) == SourceLocation(line: 2, column: 2))
        #expect(input.file.text == input.text)
    }

    @Test func markerBeforeACombiningMarkIsStillAMarker() {
        let input = Marked("e‸\u{301}")
        #expect(input.text == "e\u{301}")
        #expect(input.offset == 1)
    }

    @Test func rangeSpansTwoMarkers() {
        #expect(Marked("x‸yz‸").range == SourceRange(start: 1, end: 3))
    }
}
