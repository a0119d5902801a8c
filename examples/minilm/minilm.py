"""Sentence embeddings with all-MiniLM-L6-v2 compiled by attnc, from Python.

    python3 minilm.py MODEL_DIR [--sentences FILE] [--check-tokens FILE] [--check GOLDENS.npy]

The same as minilm_main.c, through the attnc package (pip install ./python):
WordPiece tokens, params from MODEL_DIR/model.safetensors by name, the
embeddings and their cosine similarities; --check-tokens and --check compare
with reference files and exit 1 on a difference (embeddings beyond 1e-4).
"""

import argparse
import os
import sys
import unicodedata

import numpy as np

import attnc

HERE = os.path.dirname(os.path.abspath(__file__))
BUILT_IN = ["A man is eating food.", "A man is eating a piece of bread.",
            "The girl is carrying a baby.", "A man is riding a horse."]
MAX_TOKENS = 256  # the model's max_seq_length


class WordPiece:
    """BERT's uncased tokenizer: clean, split on whitespace, punctuation and
    CJK ideographs, lower-case, strip accents, then greedy longest-match
    pieces of the vocabulary ("##" inside a word)."""

    def __init__(self, vocab_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.ids = {line.rstrip("\r\n"): i for i, line in enumerate(f)}

    @staticmethod
    def _alone(c):
        o = ord(c)
        cjk = (0x4E00 <= o <= 0x9FFF or 0x3400 <= o <= 0x4DBF or 0x20000 <= o <= 0x2A6DF
               or 0xF900 <= o <= 0xFAFF or 0x2F800 <= o <= 0x2FA1F)
        ascii_punct = 33 <= o <= 47 or 58 <= o <= 64 or 91 <= o <= 96 or 123 <= o <= 126
        return cjk or ascii_punct or unicodedata.category(c).startswith("P")

    def _words(self, text):
        word = ""
        for c in text:
            if c in "\t\n\r" or unicodedata.category(c) == "Zs":
                yield word
                word = ""
            elif ord(c) == 0 or ord(c) == 0xFFFD or unicodedata.category(c) in ("Cc", "Cf"):
                continue
            elif self._alone(c):
                yield word
                yield c
                word = ""
            else:
                word += c
        yield word

    def _pieces(self, word):
        word = "".join(c for c in unicodedata.normalize("NFD", word.lower())
                       if unicodedata.category(c) != "Mn")
        if not word:
            return []
        if len(word) > 100:
            return [self.ids["[UNK]"]]
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = ("##" if start else "") + word[start:end]
                if piece in self.ids:
                    pieces.append(self.ids[piece])
                    start = end
                    break
            else:
                return [self.ids["[UNK]"]]
        return pieces

    def encode(self, text):
        ids = [i for w in self._words(text) for i in self._pieces(w)]
        return [self.ids["[CLS]"]] + ids[:MAX_TOKENS - 2] + [self.ids["[SEP]"]]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model_dir")
    ap.add_argument("--sentences")
    ap.add_argument("--check-tokens")
    ap.add_argument("--check")
    args = ap.parse_args()

    sentences = BUILT_IN
    if args.sentences:
        with open(args.sentences, encoding="utf-8") as f:
            sentences = [line.rstrip("\n") for line in f if line.strip()]
    tokenizer = WordPiece(os.path.join(args.model_dir, "vocab.txt"))
    tokens = [tokenizer.encode(s) for s in sentences]
    S = max(len(t) for t in tokens)
    ids = np.zeros((len(tokens), S), np.int64)  # [PAD] is 0
    mask = np.zeros((len(tokens), S), np.int64)
    for b, t in enumerate(tokens):
        ids[b, :len(t)] = t
        mask[b, :len(t)] = 1

    failed = False
    if args.check_tokens:
        with open(args.check_tokens) as f:
            expected = [[int(i) for i in line.split()] for line in f if line.strip()]
        failed = tokens != expected
        print("tokens:", "differ" if failed else "as expected")

    m = attnc.compile(os.path.join(HERE, "minilm.attn"))
    params = m.minilm.params(os.path.join(args.model_dir, "model.safetensors"))
    embedding = m.minilm(ids=ids, mask=mask, **params)

    for b, s in enumerate(sentences):
        print("%d: [%s ...] %s" % (b, " ".join("%+.4f" % v for v in embedding[b, :4]), s))
    print("cosine similarities:")
    for row in embedding.astype(np.float64) @ embedding.T.astype(np.float64):
        print(" " + " ".join("%6.3f" % v for v in row))

    if args.check:
        worst = float(np.abs(embedding - np.load(args.check)).max())
        print("max abs error against %s: %.3g (tolerance 1e-4)" % (args.check, worst))
        failed |= not worst <= 1e-4
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
