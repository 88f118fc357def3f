// SPDX-License-Identifier: Apache-2.0
import Foundation

/// BERT's uncased WordPiece tokenizer, as all-MiniLM-L6-v2 uses it: text in, token ids out.
///
/// It reproduces the ids of the tokenizer that sentence-transformers runs for this model: Hugging Face's
/// `BertTokenizer`/`BertTokenizerFast` (the Rust `tokenizers` library: `BertNormalizer`,
/// `BertPreTokenizer`, `WordPiece`) with `do_lower_case = true`, `tokenize_chinese_chars = true`,
/// `strip_accents = nil` (strip when lower-casing) and `max_input_chars_per_word = 100`. Those follow
/// the BasicTokenizer and WordpieceTokenizer of Google's BERT `tokenization.py`; the few places where the
/// fast tokenizer departs from BERT's published rules are marked "(fast)" below, and this type follows
/// the fast tokenizer, because that is what produced the model's reference embeddings.
///
/// Everything works on Unicode scalars (code points), never on Swift `Character`s: a grapheme cluster
/// would glue combining marks to their base letter, and BERT treats them separately.
///
/// 1. **Special tokens in the text.** Literal `[CLS]`, `[SEP]`, `[PAD]`, `[UNK]` and `[MASK]` (exact
///    case, those present in the vocabulary) are matched in the raw text, before anything else, and become
///    their own ids. (fast: they are `added_tokens` of `tokenizer.json`; BERT's `tokenization.py` would
///    split `[MASK]` into `[`, `mask`, `]`.) The text between them goes through steps 2 to 6.
/// 2. **Clean.** U+0000, U+FFFD and control characters are removed: general category Cc, Cf or Co, except
///    tab, newline and carriage return. Then tab, newline, carriage return and every `White_Space`
///    character becomes a space. (So U+000B, U+000C, U+001C...U+001F and U+0085, which are Cc, vanish.)
/// 3. **CJK.** A space is put on each side of every CJK ideograph (U+4E00...U+9FFF, U+3400...U+4DBF,
///    U+20000...U+2A6DF, U+2A700...U+2B73F, U+2B740...U+2B81F, U+2B920...U+2CEAF, U+F900...U+FAFF,
///    U+2F800...U+2FA1F), so each becomes a word. (fast: BERT's range is U+2B820...U+2CEAF; the fast
///    tokenizer starts it at U+2B920, so U+2B820...U+2B91F stay inside their word.) Hiragana, katakana
///    and Hangul are not in these ranges.
/// 4. **Strip accents.** Canonical decomposition (NFD), then every nonspacing mark (Mn) is removed.
/// 5. **Lower-case**, scalar by scalar, with Unicode's full lower-case mapping (U+0130 `İ` would give
///    `i` + U+0307, but step 4 has already removed its dot; `ẞ` gives `ß`, which stays). (fast: no
///    context-sensitive final sigma: `Σ` always becomes `σ`, where Python's `str.lower()` in
///    `tokenization.py` gives `ς` at the end of a word.)
/// 6. **Split** on spaces, and every punctuation character becomes a word of its own: ASCII
///    `!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~` (BERT counts `$ + < = > ^ ` | ~` as punctuation too, although
///    Unicode calls them symbols) and general categories Pc, Pd, Ps, Pe, Pi, Pf, Po.
/// 7. **WordPiece**, word by word: a word of more than ``maxInputCharactersPerWord`` scalars is
///    `[UNK]`; otherwise greedy longest-match-first against the vocabulary, pieces after the first
///    prefixed with `##`; if some position has no match, the whole word is one `[UNK]`. Pieces are
///    compared byte for byte (UTF-8), not with Swift's canonical-equivalence `String` equality.
///
/// **Which Unicode version.** The fast tokenizer takes Mn, P* and Cc/Cf/Co from tables of Unicode 8.0
/// (the `unicode_categories` crate), but White_Space and lower-case mappings from a current Rust. So
/// steps 2, 4 and 6 here count a scalar in those categories only if it was assigned by Unicode 8.0
/// (`properties.age`), and take six scalars' Unicode 8.0 categories from a list (their category has
/// changed since): U+166D and U+111C9 are punctuation; U+1734 and U+1171E are nonspacing marks; U+1885,
/// U+1886, U+A9BD and U+111C9 are not. Likewise only scalars assigned by Unicode 8.0 are decomposed
/// (the reference does not decompose U+11938, from Unicode 13.0). Decomposition uses Foundation's NFD
/// (canonical decompositions never change once assigned) and canonical ordering by combining class.
/// `Tests/MiniLMTests/Fixtures/bert_unicode_classes.json` records how the reference treats every code
/// point, and the tests check all of them against this type.
///
/// Sources: google-research/bert `tokenization.py` (`BasicTokenizer`, `WordpieceTokenizer`,
/// `_is_whitespace`, `_is_control`, `_is_punctuation`, `_is_chinese_char`); Hugging Face `tokenizers`
/// `normalizers/bert.rs`, `pre_tokenizers/bert.rs`, `models/wordpiece`; transformers `BertTokenizer`.
public struct WordPieceTokenizer: Sendable {
    /// The longest word, in Unicode scalars after normalisation, that WordPiece splits; a longer word is
    /// one `[UNK]` (BERT's and Hugging Face's `max_input_chars_per_word`).
    public static let maxInputCharactersPerWord = 100
    /// The sequence length all-MiniLM-L6-v2 uses (sentence-transformers' `max_seq_length`), [CLS] and
    /// [SEP] included.
    public static let defaultMaxLength = 256

    /// The vocabulary: `tokens[id]` is the token with that id (line `id` of `vocab.txt`, 0-based).
    public let tokens: [String]
    /// The id of `[CLS]`, which ``encode(_:maxLength:)`` puts first (101 for all-MiniLM-L6-v2).
    public let clsID: Int32
    /// The id of `[SEP]`, which ``encode(_:maxLength:)`` puts last (102).
    public let sepID: Int32
    /// The id of `[UNK]`, given to a word WordPiece cannot split or that is too long (100).
    public let unkID: Int32
    /// The id of `[PAD]`, for callers that pad a batch (0). This type never pads.
    public let padID: Int32
    /// The id of `[MASK]` if the vocabulary has it (103).
    public let maskID: Int32?

    /// Token bytes (UTF-8) to id. Bytes, not `String`: Swift's `String` equality is canonical equivalence
    /// and would match a decomposed piece to a precomposed vocabulary entry, which BERT does not.
    private let ids: [[UInt8]: Int32]
    /// The special tokens matched literally in the text (step 1), as scalars, with their ids.
    private let specials: [(scalars: [Unicode.Scalar], id: Int32)]
    /// The longest vocabulary entry in scalars (bounds the longest-match search).
    private let longestToken: Int

    /// Reads a BERT `vocab.txt`: one token per line, UTF-8, the id of a token being its 0-based line
    /// number. Lines end with `\n`; one `\r` before it is dropped; a final `\n` does not start another line.
    /// If a token appears twice, the later line's id wins (as in transformers' `load_vocab`).
    ///
    /// - Throws: ``MiniLMError/badVocabulary(_:)`` naming the file when it cannot be read, is not UTF-8, or
    ///   lacks one of `[CLS]`, `[SEP]`, `[UNK]`, `[PAD]` (the message lists the missing ones).
    public init(vocabulary: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: vocabulary) } catch {
            throw MiniLMError.badVocabulary("cannot read \(vocabulary.path): \(error.localizedDescription)")
        }
        guard String(validating: data, as: UTF8.self) != nil else {
            throw MiniLMError.badVocabulary("\(vocabulary.path) is not valid UTF-8")
        }
        var lines: [String] = []
        var start = data.startIndex
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            var line = data[start..<end]
            if line.last == 0x0D { line = line.dropLast() }
            lines.append(String(decoding: line, as: UTF8.self))
            start = end == data.endIndex ? end : data.index(after: end)
        }
        do { try self.init(tokens: lines) } catch MiniLMError.badVocabulary(let why) {
            throw MiniLMError.badVocabulary("\(vocabulary.path): \(why)")
        }
    }

    /// A tokenizer over `tokens` (id = index), for vocabularies that do not come from a file.
    ///
    /// - Throws: ``MiniLMError/badVocabulary(_:)`` when `[CLS]`, `[SEP]`, `[UNK]` or `[PAD]` is missing or
    ///   there are more than `Int32.max` tokens.
    public init(tokens: [String]) throws {
        guard tokens.count <= Int(Int32.max) else {
            throw MiniLMError.badVocabulary("\(tokens.count) tokens do not fit 32-bit ids")
        }
        var ids: [[UInt8]: Int32] = [:]
        ids.reserveCapacity(tokens.count)
        var longest = 0
        for (i, t) in tokens.enumerated() {
            ids[Array(t.utf8)] = Int32(i)
            longest = max(longest, t.unicodeScalars.count)
        }
        let required = ["[CLS]", "[SEP]", "[UNK]", "[PAD]"]
        let missing = required.filter { ids[Array($0.utf8)] == nil }
        guard missing.isEmpty else {
            let what = tokens.isEmpty ? "it is empty" : "\(tokens.count) tokens"
            throw MiniLMError.badVocabulary("lacks \(missing.joined(separator: ", ")) (\(what))")
        }
        self.tokens = tokens
        self.ids = ids
        self.longestToken = longest
        clsID = ids[Array("[CLS]".utf8)]!
        sepID = ids[Array("[SEP]".utf8)]!
        unkID = ids[Array("[UNK]".utf8)]!
        padID = ids[Array("[PAD]".utf8)]!
        maskID = ids[Array("[MASK]".utf8)]
        specials = (required + ["[MASK]"]).compactMap { t in ids[Array(t.utf8)].map { (Array(t.unicodeScalars), $0) } }
    }

    /// The number of tokens (ids run from 0 to `vocabularySize - 1`).
    public var vocabularySize: Int { tokens.count }

    /// The id of `token` (compared byte for byte), or nil if it is not in the vocabulary.
    public func id(of token: String) -> Int32? { ids[Array(token.utf8)] }

    /// BERT's basic tokenization (steps 1 to 6 above): the words WordPiece receives, lower-cased, accents
    /// stripped, punctuation and CJK ideographs split off. Literal special tokens are words of their own.
    public func basicTokenize(_ text: String) -> [String] {
        var words: [String] = []
        forEachWord(in: text) { word, special in
            words.append(special.map { tokens[Int($0)] } ?? String(String.UnicodeScalarView(word)))
            return true
        }
        return words
    }

    /// The word pieces of `text` (steps 1 to 7), without `[CLS]`/`[SEP]` and without truncation: for
    /// example `"unaffable"` gives `["una", "##ffa", "##ble"]` with all-MiniLM-L6-v2's vocabulary.
    /// Unknown words are `"[UNK]"`; literal special tokens in the text are kept (`"[MASK]"`).
    public func tokenize(_ text: String) -> [String] { pieceIDs(text, limit: .max).map { tokens[Int($0)] } }

    /// The model's input ids for `text`: `[CLS]`, the word pieces' ids, `[SEP]`, cut to `maxLength` ids by
    /// dropping pieces from the end, so `[SEP]` always stays last (sentence-transformers' truncation
    /// `longest_first` at `max_seq_length` 256, for one text).
    ///
    /// - Parameter maxLength: the most ids returned, [CLS] and [SEP] included. Values below 2 are taken as
    ///   2 (the result is then `[CLS, SEP]`); this never traps or throws.
    /// - Returns: between 2 and `max(maxLength, 2)` ids, each in `0..<vocabularySize`.
    public func encode(_ text: String, maxLength: Int = WordPieceTokenizer.defaultMaxLength) -> [Int32] {
        let budget = max(maxLength, 2) - 2
        return [clsID] + pieceIDs(text, limit: budget) + [sepID]
    }

    // MARK: - The pipeline

    /// The ids of the word pieces, at most `limit` of them (tokenization stops once it has enough).
    private func pieceIDs(_ text: String, limit: Int) -> [Int32] {
        var out: [Int32] = []
        guard limit > 0 else { return out }
        var bytes: [UInt8] = [], offsets: [Int] = []
        forEachWord(in: text) { word, special in
            if let special { out.append(special) } else { wordPiece(word, into: &out, bytes: &bytes, offsets: &offsets) }
            return out.count < limit
        }
        if out.count > limit { out.removeLast(out.count - limit) }
        return out
    }

    /// Runs steps 1 to 6, calling `body` with each word's scalars (and nil), or with an empty word and the
    /// id of a literal special token. `body` returns false to stop early.
    private func forEachWord(in text: String, _ body: ([Unicode.Scalar], Int32?) -> Bool) {
        let scalars = Array(text.unicodeScalars)
        var segmentStart = 0, i = 0
        var keepGoing = true
        while i < scalars.count && keepGoing {
            if scalars[i] == "[", let (length, id) = specialToken(in: scalars, at: i) {
                keepGoing = BertText.forEachWord(in: scalars[segmentStart..<i], body)
                if keepGoing { keepGoing = body([], id) }
                i += length
                segmentStart = i
            } else {
                i += 1
            }
        }
        if keepGoing { _ = BertText.forEachWord(in: scalars[segmentStart...], body) }
    }

    /// The special token that starts at `i`, if any (length in scalars, id). None is a prefix of another.
    private func specialToken(in scalars: [Unicode.Scalar], at i: Int) -> (Int, Int32)? {
        for (s, id) in specials where i + s.count <= scalars.count && scalars[i..<(i + s.count)].elementsEqual(s) {
            return (s.count, id)
        }
        return nil
    }

    /// Step 7 for one word: greedy longest-match-first on UTF-8 bytes, cut only at scalar boundaries.
    private func wordPiece(_ word: [Unicode.Scalar], into out: inout [Int32], bytes: inout [UInt8], offsets: inout [Int]) {
        guard word.count <= Self.maxInputCharactersPerWord else { out.append(unkID); return }
        bytes.removeAll(keepingCapacity: true)
        offsets.removeAll(keepingCapacity: true)
        for s in word {
            offsets.append(bytes.count)
            bytes.append(contentsOf: UTF8.encode(s)!)
        }
        offsets.append(bytes.count)
        let first = out.count
        var start = 0
        var key: [UInt8] = []
        while start < word.count {
            var end = min(word.count, start + longestToken)
            var found: Int32?
            while end > start {
                key.removeAll(keepingCapacity: true)
                if start > 0 { key.append(0x23); key.append(0x23) } // "##"
                key.append(contentsOf: bytes[offsets[start]..<offsets[end]])
                if let id = ids[key] { found = id; break }
                end -= 1
            }
            guard let found else {
                out.removeLast(out.count - first)
                out.append(unkID)
                return
            }
            out.append(found)
            start = end
        }
    }
}

/// BERT's normaliser and pre-tokenizer (steps 2 to 6 of ``WordPieceTokenizer``) over Unicode scalars.
enum BertText {
    /// Splits `text` (free of special tokens) into words and calls `body` with each, stopping when it
    /// returns false. Returns false if it was stopped.
    static func forEachWord<S: Sequence>(in text: S, _ body: ([Unicode.Scalar], Int32?) -> Bool) -> Bool
    where S.Element == Unicode.Scalar {
        var word: [Unicode.Scalar] = []
        for s in normalize(text) {
            if isWhitespace(s) {
                if !word.isEmpty { guard body(word, nil) else { return false }; word.removeAll(keepingCapacity: true) }
            } else if isPunctuation(s) {
                if !word.isEmpty { guard body(word, nil) else { return false }; word.removeAll(keepingCapacity: true) }
                guard body([s], nil) else { return false }
            } else {
                word.append(s)
            }
        }
        return word.isEmpty || body(word, nil)
    }

    /// Steps 2 to 5: clean, space around CJK ideographs, NFD and drop nonspacing marks, lower-case.
    static func normalize<S: Sequence>(_ text: S) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        var decomposed: [Unicode.Scalar] = []
        for s in text {
            if s.value == 0 || s.value == 0xFFFD || isControl(s) { continue }
            if isWhitespace(s) {
                decomposed.append(" ")
            } else if isChinese(s) { // still decomposed: U+F900...U+FAFF have singleton decompositions
                decomposed.append(" "); appendDecomposition(of: s, to: &decomposed); decomposed.append(" ")
            } else {
                appendDecomposition(of: s, to: &decomposed)
            }
        }
        canonicallyOrder(&decomposed)
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(decomposed.count)
        for s in decomposed where !isNonspacingMark(s) {
            if s.isASCII {
                out.append(s.value >= 0x41 && s.value <= 0x5A ? Unicode.Scalar(s.value + 0x20)! : s)
            } else {
                out.append(contentsOf: s.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return out
    }

    /// True if `s` was assigned by Unicode 8.0, the version of the reference's category tables.
    static func inUnicode8(_ s: Unicode.Scalar) -> Bool {
        guard let age = s.properties.age else { return false }
        return age.major < 8 || (age.major == 8 && age.minor == 0)
    }

    /// Removed by cleaning: Cc, Cf, Co (Unicode 8.0), but not tab, newline, carriage return.
    static func isControl(_ s: Unicode.Scalar) -> Bool {
        if s == "\t" || s == "\n" || s == "\r" { return false }
        if s.isASCII { return s.value < 0x20 || s.value == 0x7F }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse: return inUnicode8(s)
        default: return false
        }
    }

    /// Becomes a space: tab, newline, carriage return, or Unicode `White_Space`.
    static func isWhitespace(_ s: Unicode.Scalar) -> Bool {
        if s.isASCII { return s == " " || s == "\t" || s == "\n" || s == "\r" || s.value == 0x0B || s.value == 0x0C }
        return s.properties.isWhitespace
    }

    /// A CJK ideograph that becomes a word of its own (the fast tokenizer's ranges; see step 3).
    static func isChinese(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
             0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Split off as a word of its own: ASCII punctuation and symbols, or P* in Unicode 8.0.
    static func isPunctuation(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        if v < 0x80 { return (33...47).contains(v) || (58...64).contains(v) || (91...96).contains(v) || (123...126).contains(v) }
        if v == 0x166D || v == 0x111C9 { return true } // Po in Unicode 8.0 (now So and Mn)
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation:
            return inUnicode8(s)
        default:
            return false
        }
    }

    /// Removed by accent stripping: Mn in Unicode 8.0.
    static func isNonspacingMark(_ s: Unicode.Scalar) -> Bool {
        switch s.value {
        case 0..<0x300: return false
        case 0x1734, 0x1171E: return true // Mn in Unicode 8.0, Mc now
        case 0x1885, 0x1886, 0xA9BD, 0x111C9: return false // Lo, Lo, Mc, Po in Unicode 8.0, Mn now
        default: return s.properties.generalCategory == .nonspacingMark && inUnicode8(s)
        }
    }

    /// Appends the canonical decomposition of `s` (itself if it has none or is newer than Unicode 8.0).
    static func appendDecomposition(of s: Unicode.Scalar, to out: inout [Unicode.Scalar]) {
        guard s.value >= 0xC0, inUnicode8(s) else { out.append(s); return }
        out.append(contentsOf: String(s).decomposedStringWithCanonicalMapping.unicodeScalars)
    }

    /// Canonical ordering: within each run of scalars with a non-zero combining class, a stable sort by
    /// combining class (Unicode Standard section 3.11).
    static func canonicallyOrder(_ a: inout [Unicode.Scalar]) {
        var i = 1
        while i < a.count {
            let c = a[i].properties.canonicalCombiningClass.rawValue
            if c != 0 {
                var j = i
                while j > 0 {
                    let p = a[j - 1].properties.canonicalCombiningClass.rawValue
                    guard p > c else { break }
                    a.swapAt(j - 1, j)
                    j -= 1
                }
            }
            i += 1
        }
    }
}
