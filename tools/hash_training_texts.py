"""Keep the hashes of a model's training posts beside it, from the files its card lists.

Models trained before ``train`` kept these hashes (the shipped ``outage-v1``,
``outage-v2`` and ``outage-v2-tier``) can only be checked for overlap with evaluation
posts while their training files sit where their cards say. This writes
``training_texts.u64`` (8 bytes a distinct post, never the texts) into each model folder
given, from the training files listed in its card, once each file is found unchanged
(same sha256); a model whose files are not all found is left as it is.

    python tools/hash_training_texts.py models/outage-v2 models/outage-v2-tier

Run from the repository, with the shared data at ``../shared/data``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from detector.text.modelstore import CARD_FILE, write_training_hashes
from detector.text.training import hashes_of_training_files


def main(folders: list[str]) -> int:
    status = 0
    for folder in map(Path, folders):
        card = json.loads((folder / CARD_FILE).read_text())
        files = [entry for entry in card.get("data") or [] if isinstance(entry, dict)]
        parts = [hashes_of_training_files({**card, "data": [entry]}) for entry in files]
        missing = [str(e.get("path")) for e, part in zip(files, parts, strict=True) if part is None]
        if missing or not parts:
            print(f"{folder}: training files missing or changed: {', '.join(missing)}")
            status = 1
            continue
        card = write_training_hashes(folder, card, np.concatenate(parts))
        print(f"{folder}: {card['training_texts']['posts']} training posts hashed")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
