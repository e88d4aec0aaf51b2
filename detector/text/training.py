"""Train and evaluate outage models on labelled files (the logic behind ``train``/``evaluate``).

- :func:`read_labelled` reads CSV, TSV, JSON Lines, JSON or Parquet (``.gz``/``.zst``/
  ``.bz2``/``.xz`` too) and keeps the text, label and optional symptom columns.
- :func:`map_labels` turns a user's label values into the classes the model learns:
  exactly ``outage/complaint/other`` trains the 3-class model; otherwise the value
  named by ``positive`` (default ``outage``; without it ``1``/``true``/``yes``) is
  the positive class and everything else is the rest (binary mode).
- :func:`train_model` cross-validates candidate pipelines and the plain baseline on the
  same folds, keeps the baseline unless a candidate beats it (:func:`select_winner`),
  fits on everything and writes the model and its card; :func:`evaluate_model` scores a
  model on a labelled file.

Metrics are positive-vs-rest: ``precision, recall, f1``, ``macro_f1`` (mean of the
F1 of the positive class and of the rest), ``pr_auc`` (average precision of the
calibrated probability), ``n`` and ``confusion`` as ``{"tp", "fp", "fn", "tn"}``.

>>> y, task = map_labels(pd.Series(["complained", "fine", "fine"]), positive="complained")
>>> y.tolist(), task["mode"], task["positive"]
(['outage', 'other', 'other'], 'binary', 'complained')
>>> binary_metrics([1, 0, 1, 0], [1, 0, 0, 0], [0.9, 0.2, 0.4, 0.1])["confusion"]
{'tp': 1, 'fp': 0, 'fn': 1, 'tn': 2}
"""

from __future__ import annotations

import datetime as dt
import platform
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from detector.errors import (
    DataError,
    DetectorError,
    InputMissingError,
    SchemaError,
    TooLittleDataError,
    UsageError,
    write_failure,
)
from detector.text.distil import UnlabelledPool
from detector.text.finetune import N_LAYERS
from detector.text.modelstore import OutageModel, save_model, sha256_of
from detector.text.registry import TRUE_VALUES, same_positive

__all__ = [
    "MIN_EXAMPLES_PER_CLASS",
    "LabelledData",
    "BASELINE",
    "CANDIDATES",
    "baseline_cv",
    "binary_metrics",
    "cross_validate",
    "evaluate_model",
    "map_labels",
    "read_labelled",
    "read_table",
    "select_winner",
    "train_model",
]

#: Fewer examples than this of any class is refused (TooLittleDataError).
MIN_EXAMPLES_PER_CLASS = 20
THREE_CLASSES = ("complaint", "other", "outage")

#: Where known training files come from and under which terms (written into the card).
KNOWN_SOURCES: dict[str, str] = {
    "labeled_posts.csv": (
        "outage-detector shared labelled posts (hand-labelled by LABELING.md); sources: "
        "Preotiuc-Pietro, Gaman & Aletras, ACL 2019 complaints corpus (no licence stated, "
        "research use with citation); power outage tweets 2019 (no licence stated); Comcast "
        "FCC consumer complaints 2015 (no licence stated); Twitter US Airline Sentiment, Feb "
        "2015 (CC BY-NC-SA 4.0)"
    ),
    "labeled_posts_extra.csv": (
        "outage-detector shared labelled posts, ten app-review and support sources "
        "(hand-labelled by LABELING.md): crypto exchange app reviews (PATX0/78658_thesis, no "
        "licence stated); WhatsApp Google Play reviews 2025 (MichiCorleone/NLP-Project, no "
        "licence stated); Customer Support on Twitter 2017 (CC BY-NC-SA 4.0); Netflix, neobank, "
        "PUBG Mobile, Uber, Instagram, Bell/Rogers and Spotify app reviews (repositories "
        "SamarpitKandhari/Netflix-Sentimental-Analysis, algerza/neobanks-topic-modelling, "
        "IvanBesti/PUBG-Sentiment-Analysis, parisaadr/UberReviewAnalysis, "
        "vsubow/text_analysis, EYDS-CA/telephony_analysis, "
        "RoopeshSinghal/Spotify_Reviews_Analysis; no licences stated)"
    ),
    "seed_posts.csv": (
        "seed posts written by the outage-detector project (tools/make_seed_posts.py), MIT licence"
    ),
}

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


# ---------------------------------------------------------------------------------------
# reading
# ---------------------------------------------------------------------------------------
def _zip_member(path: Path) -> zipfile.ZipInfo | None:
    """The one file of a ZIP archive holding a single data file (not a workbook), else None."""
    if not zipfile.is_zipfile(path):
        return None
    with zipfile.ZipFile(path) as archive:
        files = [m for m in archive.infolist() if not m.is_dir()]
    if len(files) != 1 or files[0].filename.lower().endswith((".xlsx", ".xlsm", ".xml")):
        return None  # a workbook or several files: sniff says what to do
    return files[0]


def read_table(path: str | Path, *, option: str = "--data") -> pd.DataFrame:
    """Read a labelled file as ``score`` reads its inputs: format (CSV/TSV with any of the
    delimiters ``, ; tab |``, JSON Lines, JSON, Parquet), compression, text encoding and
    byte-order mark are sniffed from the content (:func:`detector.ingest.formats.sniff`),
    whatever the file's name ends in; *option* names the file in errors."""
    import io

    from detector.ingest.blocks import iter_utf8
    from detector.ingest.formats import sniff

    path = Path(path)
    if not path.is_file():
        raise InputMissingError(f"{option} file '{path}' does not exist or is not a regular file")
    member = _zip_member(path)
    if member is not None:  # a file zipped alone (export.csv.zip): read what it holds
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            inner = Path(folder) / Path(member.filename).name
            with zipfile.ZipFile(path) as archive, archive.open(member) as src:
                inner.write_bytes(src.read())
            return read_table(inner, option=option)
    try:
        info = sniff(path)
    except DataError as err:
        reason = str(err).removeprefix(f"{path}: ")
        raise DataError(f"cannot read {option} file '{path}': {reason}") from err
    fmt = info.format
    what = {"csv": "delimited text", "jsonl": "JSON Lines"}.get(fmt, fmt.upper())
    try:
        if fmt == "parquet":
            return pd.read_parquet(path)
        text = io.BytesIO(b"".join(iter_utf8(info)))  # decompressed, decoded, BOM dropped
        if fmt == "csv":
            return pd.read_csv(  # (skipping Excel's "sep=;" first line)
                text,
                sep=info.delimiter or ",",
                dtype=str,
                keep_default_na=False,
                skiprows=info.preamble,
            )
        if fmt == "jsonl":
            return pd.read_json(text, lines=True, dtype=False)
        return pd.read_json(text, dtype=False)
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as err:
        message = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise DataError(f"cannot read {option} file '{path}' as {what}: {message}") from err
    except Exception as err:  # pyarrow and decompressors raise their own types
        raise DataError(
            f"cannot read {option} file '{path}' as {what}: {type(err).__name__}: {err}"
        ) from err


@dataclass
class LabelledData:
    """Labelled posts read from one or more files, with where they came from."""

    text: list[str]
    label: pd.Series
    symptom: pd.Series | None
    files: list[dict[str, Any]] = field(default_factory=list)
    group: pd.Series | None = None


def file_entry(path: Path, rows: int, rows_used: int, role: str | None = None) -> dict[str, Any]:
    """A training file as the model card lists it: where, its sha256, rows read and used,
    its *role* when not plain labelled data, and where it comes from when known."""
    info: dict[str, Any] = {
        "path": str(path),
        "file": path.name,
        "sha256": sha256_of(path),
        "rows": rows,
        "rows_used": rows_used,
    }
    if role is not None:
        info["role"] = role
    if path.name in KNOWN_SOURCES:
        info["source"] = KNOWN_SOURCES[path.name]
    return info


def _clean_value(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    if text.lower() in ("", "nan", "none", "null", "na", "<na>"):
        return None
    try:  # "1.0" in a CSV read as text
        number = float(text)
        if number.is_integer() and "." in text:
            return str(int(number))
    except ValueError:
        pass
    return text


@dataclass
class TextsById:
    """Post texts by id, for labelled files that name their posts instead of holding them
    (``--texts``): the labels are the user's own, the texts another's to publish.

    >>> texts = TextsById({"a1": "app is down", "b2": "love it"}, files=[])
    >>> texts.attach(pd.DataFrame({"uid": ["b2"], "label": ["other"]}), "l.csv", "text")
      uid  label     text
    0  b2  other  love it
    >>> texts.attach(pd.DataFrame({"uid": ["zz"], "label": ["other"]}), "l.csv", "text")
    Traceback (most recent call last):
    ...
    detector.errors.SchemaError: 1 id of 'l.csv' (column 'uid') not found in the --texts files: 'zz'
    """

    text: dict[str, str]
    files: list[dict[str, str]]
    id_col: str = "uid"

    @classmethod
    def read(
        cls, paths: Sequence[str | Path], *, id_col: str = "uid", text_col: str = "text"
    ) -> TextsById:
        """Read the ``id_col`` and ``text_col`` columns of each file in *paths*. Ids compare
        as text (``1``, ``1.0`` and ``"1"`` are one id); rows with no id or an empty text
        are skipped; an id given two different texts is an error."""
        text: dict[str, str] = {}
        origin: dict[str, str] = {}
        files = []
        for raw in paths:
            path = Path(raw)
            frame = read_table(path, option="--texts")
            missing = [c for c in (id_col, text_col) if c not in frame.columns]
            if missing:
                raise SchemaError(
                    f"--texts file '{path}' has no column {', '.join(map(repr, missing))}; "
                    f"columns found: {', '.join(map(str, frame.columns))}"
                )
            for uid, post in zip(frame[id_col].map(_clean_value), frame[text_col], strict=True):
                if uid is None or post is None or not str(post).strip():
                    continue
                post = str(post)
                if text.setdefault(uid, post) != post:
                    raise SchemaError(
                        f"id {uid!r} has two different texts: in '{origin[uid]}' and '{path}'"
                    )
                origin.setdefault(uid, str(path))
            files.append({"path": str(path), "file": path.name, "sha256": sha256_of(path)})
        return cls(text=text, files=files, id_col=id_col)

    def attach(self, frame: pd.DataFrame, path: str | Path, text_col: str) -> pd.DataFrame:
        """*frame* with a *text_col* column looked up by its id column (unchanged when it
        has no id column); every id must be found."""
        if self.id_col not in frame.columns:
            return frame
        ids = frame[self.id_col].map(_clean_value)
        unknown = sorted({str(i) for i in ids if i not in self.text})
        if unknown:
            raise SchemaError(
                f"{len(unknown)} id{'s' if len(unknown) > 1 else ''} of '{path}' (column "
                f"'{self.id_col}') not found in the --texts files: "
                + ", ".join(map(repr, unknown[:5]))
                + (" ..." if len(unknown) > 5 else "")
            )
        return frame.assign(**{text_col: ids.map(self.text).to_numpy()})


def _note_unused_texts(
    by_id: TextsById | None, read: Sequence[LabelledData | None], progress: Progress
) -> None:
    """Say so when --texts was given but no labelled file took its texts from it."""
    if by_id is not None and not any(
        "texts_from" in info for data in read if data is not None for info in data.files
    ):
        progress(
            "note: no labelled file names its posts by uid without a text column; --texts unused"
        )


def _texts_as_score_reads(
    frame: pd.DataFrame, path: Path, progress: Progress, other: set[str | None]
) -> pd.DataFrame:
    """*frame* with a ``text`` column taken from the column(s) ``score`` reads posts from
    when none is named text (``Customer Complaint``; an app review's title + review), so a
    model learns from the text it will score; unchanged when there are none, when one of
    them is in *other* (the label, symptom or group column), or when they do not hold
    free text (numbers, a handful of categories)."""
    from detector.ingest.canonical import post_text
    from detector.ingest.columns import find_text_columns

    found = find_text_columns([str(c) for c in frame.columns if c not in other])
    if found is None:
        return frame
    cols, html = found
    if not all(_free_text(frame[c]) for c in cols[-1:]):  # the body (after any title)
        return frame
    progress(f"{path.name}: post texts from {' + '.join(cols)} (as score reads them)")
    return frame.assign(text=post_text(frame, cols, html=html))


def _text_col_hint(frame: pd.DataFrame, other: set[str | None], by_id: TextsById | None) -> str:
    """How to name the posts of a labelled file without the text column asked for: the
    column(s) ``score`` would read them from (when they hold free text), else ``--texts``
    for a file naming its posts by uid ('' when neither applies)."""
    from detector.ingest.columns import find_text_columns

    found = find_text_columns([str(c) for c in frame.columns if c not in other])
    if found is not None and _free_text(frame[found[0][-1]]):
        return f"; its posts look to be in '{found[0][-1]}': give --text-col {found[0][-1]}"
    if "uid" in frame.columns and by_id is None:
        return "; it names its posts by uid: give their texts with --texts FILE"
    return ""


def _free_text(column: pd.Series) -> bool:
    """Does *column* hold free text: values that are mostly not numbers, and varied (at
    least half of them distinct) rather than a few categories?"""
    values = column.dropna().astype(str).str.strip()
    values = values[values != ""]
    if values.empty:
        return False
    numeric = pd.to_numeric(values, errors="coerce").notna().mean()
    return bool(numeric < 0.5 and values.nunique() >= 0.5 * len(values))


def read_labelled(
    paths: Sequence[str | Path],
    *,
    text_col: str = "text",
    label_col: str = "label",
    symptom_col: str | None = None,
    group_col: str | None = None,
    train_only: bool = False,
    by_id: TextsById | None = None,
    progress: Progress = _quiet,
    option: str = "--data",
    group_required: bool = False,
) -> LabelledData:
    """Read labelled posts; rows without text or label are dropped (and counted); no
    labelled row at all is an error (*option* names the files in messages).

    *group_col* (e.g. ``source``) is read when a file has it (a file without it is
    one group, named after the file; with *group_required*, the user named the column
    and a file without it is an error); *train_only* rows get the group None (used for
    fitting only, never scored in cross-validation). A file without *text_col* takes
    its texts from *by_id* by its id column (labels kept apart from posts that may not
    be redistributed); an id missing there is an error. A file with a text column keeps
    its own texts.
    """
    texts: list[str] = []
    labels: list[str] = []
    symptoms: list[str | None] = []
    groups: list[str | None] = []
    files = []
    use_symptom = False
    for raw_path in paths:
        path = Path(raw_path)
        frame = read_table(path, option=option)
        columns = [str(c) for c in frame.columns]
        by_uid = by_id is not None and text_col not in columns and by_id.id_col in columns
        if by_uid:
            frame = by_id.attach(frame, path, text_col)
        elif text_col == "text" and text_col not in columns and "uid" not in columns:
            other = {label_col, symptom_col, group_col}  # never a label taken for the text
            frame = _texts_as_score_reads(frame, path, progress, other)
        required = [("--text-col", text_col), ("--label-col", label_col)]
        if group_required and group_col is not None and not train_only:
            required.append(("--group-col", group_col))
        for flag, column in required:
            if column not in frame.columns:
                hint = ""
                if column == text_col:
                    hint = _text_col_hint(frame, {label_col, symptom_col, group_col}, by_id)
                elif flag == "--group-col":
                    hint = "; give --group-col '' for folds that do not hold out groups"
                raise SchemaError(
                    f"{option} file '{path}' has no column '{column}' ({flag}); "
                    f"columns found: {', '.join(columns) or 'none'}{hint}"
                )
        file_symptom = symptom_col if symptom_col in frame.columns else None
        if symptom_col is not None and file_symptom is None and symptom_col != "symptom":
            raise SchemaError(
                f"{option} file '{path}' has no column '{symptom_col}' (--symptom-col); "
                f"columns found: {', '.join(columns)}"
            )
        use_symptom = use_symptom or file_symptom is not None
        text = frame[text_col].map(lambda v: None if v is None else str(v))
        label = frame[label_col].map(_clean_value)
        usable = text.notna() & (text.str.strip().str.len() > 0) & label.notna()
        texts.extend(text[usable].tolist())
        labels.extend(label[usable].tolist())
        if file_symptom is not None:
            symptoms.extend(frame[file_symptom].map(_clean_value)[usable].tolist())
        else:
            symptoms.extend([None] * int(usable.sum()))
        if train_only:
            groups.extend([None] * int(usable.sum()))
        elif group_col is not None and group_col in frame.columns:
            named = frame[group_col].map(_clean_value)[usable]
            groups.extend(named.fillna(f"{path.name}:?").tolist())
        else:
            groups.extend([path.name] * int(usable.sum()))
        info = file_entry(
            path,
            len(frame),
            int(usable.sum()),
            role="training only (never scored in cross-validation or for the threshold)"
            if train_only
            else None,
        )
        if by_uid:
            info["texts_from"] = by_id.files
        files.append(info)
        dropped = len(frame) - int(usable.sum())
        progress(
            f"read {path}: {len(frame)} rows, {int(usable.sum())} labelled"
            + (f" ({dropped} without text or {label_col} skipped)" if dropped else "")
        )
    if not texts:
        names = ", ".join(f"'{p}'" for p in paths)
        raise TooLittleDataError(
            f"no labelled rows in {option} {names}: no row has both a text ('{text_col}') "
            f"and a label ('{label_col}')"
        )
    return LabelledData(
        text=texts,
        label=pd.Series(labels, dtype=object),
        symptom=pd.Series(symptoms, dtype=object) if use_symptom else None,
        files=files,
        group=pd.Series(groups, dtype=object),
    )


# ---------------------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------------------
def map_labels(
    labels: pd.Series, positive: str | None = None, *, purpose: str = "training"
) -> tuple[np.ndarray, dict[str, Any]]:
    """Map user labels to the model's classes; returns ``(y, task)``; *purpose*
    (``training`` or ``evaluation``) says in errors what needs two classes.

    >>> map_labels(pd.Series(["outage", "other", "complaint"]))[1]["mode"]
    '3class'
    >>> map_labels(pd.Series(["1", "0"]))[0].tolist()
    ['outage', 'other']
    >>> map_labels(pd.Series(["a", "b"]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    detector.errors.DataError: no positive class: the label values are a, b and none is ...
    """
    values = labels.astype(str)
    lowered = values.str.lower()
    found = sorted(set(values))
    if not found:
        raise TooLittleDataError("no labelled rows: no row has both a text and a label")
    if lowered.nunique() < 2:  # labels compare ignoring case: 'OUTAGE' is 'outage'
        raise TooLittleDataError(
            f"the labels have only one value ({', '.join(found[:20])}"
            + ("; labels compare ignoring case" if len(found) > 1 else "")
            + f"); {purpose} needs posts of at least two classes"
            + (" (the positive class and the rest)" if purpose == "evaluation" else "")
        )
    wanted = None if positive is None else str(positive).strip().lower()
    if set(lowered) == set(THREE_CLASSES) and wanted in (None, "outage"):
        return lowered.to_numpy(dtype=object), {"mode": "3class", "positive": "outage"}
    if positive is not None:
        matches = lowered == wanted
        if not matches.any():
            raise DataError(
                f"--positive '{positive}' is not a label value; values found: "
                f"{', '.join(found[:20])}{' ...' if len(found) > 20 else ''}"
            )
        is_pos = matches.to_numpy()
        pos_name = str(positive)
    elif (lowered == "outage").any():
        is_pos = (lowered == "outage").to_numpy()
        pos_name = "outage"
    elif lowered.isin(TRUE_VALUES).any():
        is_pos = lowered.isin(TRUE_VALUES).to_numpy()
        pos_name = "/".join(v for v in TRUE_VALUES if (lowered == v).any())
    else:
        raise DataError(
            f"no positive class: the label values are {', '.join(found[:20])} and none is "
            "'outage', '1', 'true' or 'yes'; name the positive value with --positive"
        )
    y = np.where(is_pos, "outage", "other").astype(object)
    return y, {"mode": "binary", "positive": pos_name}


def duplicate_rows(
    texts: Sequence[str], y: np.ndarray, *, also_in: Sequence[str] = ()
) -> tuple[np.ndarray, dict[str, Any]]:
    """Rows to keep of labelled posts (indices, in order) and what was dropped.

    A post repeated with the same class is kept once: its copies would be scored in
    cross-validation by a model trained on them (inflating every CV figure) and would
    weigh it twice in the fit. A text labelled with different classes is dropped
    whole: kept, its copies would land in different folds and each be scored against
    its twin's opposite label, and no rule could learn both; the count says how many
    labels to check. Texts compare exactly, apart from leading and trailing white
    space; rows whose text is in *also_in* (the labelled posts, for training-only rows)
    are dropped too.

    >>> keep, info = duplicate_rows(["down", "down ", "fine", "x", "x"],
    ...                             np.array(["outage", "outage", "other", "outage", "other"]))
    >>> keep.tolist(), info["dropped"], info["conflicting_texts"], info["conflicting_rows"]
    ([0, 2], 1, 1, 2)
    """
    frame = pd.DataFrame({"key": [str(t).strip() for t in texts], "y": np.asarray(y)})
    classes = frame.groupby("key", sort=False)["y"].nunique()
    conflicting = frame["key"].map(classes).to_numpy() > 1
    repeated = frame.duplicated(["key", "y"]).to_numpy() & ~conflicting
    elsewhere = frame["key"].isin({str(t).strip() for t in also_in}).to_numpy()
    elsewhere = elsewhere & ~repeated & ~conflicting
    keep = np.flatnonzero(~(conflicting | repeated | elsewhere))
    info: dict[str, Any] = {
        "dropped": int(repeated.sum()),
        "conflicting_texts": int(classes.gt(1).sum()),
        "conflicting_rows": int(conflicting.sum()),
    }
    parts = []
    if info["dropped"]:
        parts.append(f"{info['dropped']} repeated posts (same text, same class) dropped")
    if info["conflicting_texts"]:
        parts.append(
            f"{info['conflicting_texts']} texts labelled with different classes: their "
            f"{info['conflicting_rows']} rows dropped (check those labels)"
        )
    if also_in:
        info["also_labelled"] = int(elsewhere.sum())
        if info["also_labelled"]:
            parts.append(f"{info['also_labelled']} posts also in the labelled data dropped")
    info["note"] = "; ".join(parts) or "none"
    return keep, info


def _subset(data: LabelledData, keep: np.ndarray) -> LabelledData:
    """*data* reduced to the rows *keep* (indices)."""

    def take(series: pd.Series | None) -> pd.Series | None:
        return None if series is None else series.iloc[keep].reset_index(drop=True)

    return LabelledData(
        text=[data.text[i] for i in keep],
        label=take(data.label),
        symptom=take(data.symptom),
        files=data.files,
        group=take(data.group),
    )


def fold_groups(group: pd.Series | None) -> list[Any] | None:
    """The groups cross-validation holds out whole (each row's), or None when there are
    fewer than 2 (the folds are stratified then): how ``train`` and ``evaluate
    --baseline-train`` both group.

    >>> fold_groups(pd.Series(["a", "b", "a"])), fold_groups(pd.Series(["a", "a"]))
    (['a', 'b', 'a'], None)
    """
    if group is None or group.nunique() < 2:
        return None
    return group.tolist()


def check_enough(
    y: np.ndarray, task: dict[str, Any], label_col: str, minimum: int
) -> dict[str, int]:
    """Rows per class (user-facing names); TooLittleDataError when a class is under *minimum*."""
    names, counts = np.unique(y, return_counts=True)
    per_class = {str(n): int(c) for n, c in zip(names, counts, strict=True)}
    if task["mode"] == "binary":
        per_class = {
            task["positive"]: per_class.get("outage", 0),
            f"not {task['positive']}": per_class.get("other", 0),
        }
    for name, count in sorted(per_class.items(), key=lambda kv: kv[1]):
        if count < minimum:
            raise TooLittleDataError(
                f"too little data: class '{name}' of --label-col '{label_col}' has {count} "
                f"examples; at least {minimum} per class are needed"
            )
    return per_class


# ---------------------------------------------------------------------------------------
# metrics
# ---------------------------------------------------------------------------------------
def binary_metrics(
    truth: Sequence[Any], predicted: Sequence[Any], prob: Sequence[float] | None = None
) -> dict[str, Any]:
    """Positive-vs-rest metrics of boolean *truth*/*predicted* (and *prob* for PR-AUC)."""
    from sklearn.metrics import average_precision_score

    t = np.asarray(truth).astype(bool)
    p = np.asarray(predicted).astype(bool)
    tp = int(np.sum(t & p))
    fp = int(np.sum(~t & p))
    fn = int(np.sum(t & ~p))
    tn = int(np.sum(~t & ~p))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    f1_rest = 2 * tn / (2 * tn + fp + fn) if tn + fp + fn else 0.0
    pr_auc = None
    if prob is not None and t.any() and not t.all():
        pr_auc = float(average_precision_score(t, np.asarray(prob, dtype=float)))
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "macro_f1": round((f1 + f1_rest) / 2, 4),
        "pr_auc": None if pr_auc is None else round(pr_auc, 4),
        "n": int(len(t)),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


# ---------------------------------------------------------------------------------------
# training
# ---------------------------------------------------------------------------------------
def _estimator(seed: int, params: dict[str, Any] | None) -> Any:
    from detector.text.classifier import OutageClassifier

    params = dict(params or {})
    params.pop(DISTIL, None)  # the teacher: see _fit_estimator
    if params.get("threshold") == RAW_THRESHOLD:
        params["threshold"] = 0.5  # replaced after fitting, see _fit_estimator
    if params.pop("tier", None) == "encoder":
        from detector.text.tiered import TieredClassifier

        keys = set(TieredClassifier().get_params())
        tier = {k: params.pop(k) for k in list(params) if k in keys and k != "fast_params"}
        return TieredClassifier(random_state=seed, fast_params=params, **tier)
    return OutageClassifier(random_state=seed, **params)


def _fit_estimator(
    seed: int,
    params: dict[str, Any] | None,
    texts: Sequence[str],
    y: np.ndarray,
    symptom: Sequence[Any] | None,
    groups: Sequence[Any] | None,
    pool: UnlabelledPool | None = None,
    exclude_groups: set[Any] = frozenset(),  # type: ignore[assignment]
    progress: Progress = _quiet,
    exclude_texts: Sequence[str] = (),
) -> Any:
    """Fit the estimator of *params*; ``threshold="raw"`` keeps the regression's own 0.5.

    A candidate with a ``distil`` teacher (``post-nolex-distil``) is fitted on the posts
    plus *pool*'s, labelled by the teacher fitted on the posts (never the pool's posts of
    *exclude_groups* or among *exclude_texts*: the groups and posts a CV fold holds out);
    what was added is in the model's ``distilled_`` attribute (for the card; not saved).

    The calibrated probability is monotone in the regression's margin, so the raw
    decision (positive probability 0.5, margin 0) is the calibrated threshold
    ``sigmoid(b)`` of the Platt intercept *b*: the predictions are exactly the plain
    regression's, while ``outage_prob`` stays calibrated.
    """
    teacher = (params or {}).get(DISTIL)
    if teacher is not None:
        from detector.text.distil import fit_distilled
        from detector.text.finetune import TopTuner

        if pool is None:
            raise UsageError("a candidate that distils a teacher needs --unlabelled posts")
        model, added = fit_distilled(
            _estimator(seed, params),
            TopTuner(**{"random_state": seed, **teacher}),
            pool,
            texts,
            y,
            symptom,
            groups,
            exclude_groups=exclude_groups,
            exclude_texts=exclude_texts,
            progress=progress,
        )
        model.distilled_ = added
        return model
    model = _estimator(seed, params).fit(texts, y, symptom=symptom, groups=groups)
    if (params or {}).get("threshold") == RAW_THRESHOLD:
        model.threshold_ = float(model._calibrate(np.zeros(1))[0])
    return model


def cross_validate(
    texts: Sequence[str],
    y: np.ndarray,
    symptom: pd.Series | None,
    *,
    folds: int,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    groups: Sequence[Any] | None = None,
    progress: Progress = _quiet,
    pool: UnlabelledPool | None = None,
) -> dict[str, Any]:
    """*folds*-fold CV of the classifier; metrics of the out-of-fold predictions.

    Stratified folds, or, with *groups*, folds that hold out whole groups (see
    :func:`~detector.text.classifier.calibration_splits`): rows whose group is None
    are training-only and are never scored. The model inside each fold calibrates
    and picks its threshold the same way, on its own training rows.
    """
    from detector.text.classifier import calibration_splits

    texts = list(texts)
    n = len(texts)
    labels = np.empty(n, dtype=object)
    prob = np.zeros(n)
    sym_pred = np.full(n, None, dtype=object)
    scored = np.zeros(n, dtype=bool)
    per_fold = []
    group_list = None if groups is None else list(groups)
    splits = calibration_splits(y, group_list, folds, seed)
    for i, (train, test) in enumerate(splits, start=1):
        model = _fit_estimator(
            seed,
            params,
            [texts[j] for j in train],
            y[train],
            None if symptom is None else symptom.iloc[train].tolist(),
            None if group_list is None else [group_list[j] for j in train],
            pool,
            set() if group_list is None else {group_list[j] for j in test},
            progress,
            [texts[j] for j in test],
        )
        frame = model.predict_frame([texts[j] for j in test])
        labels[test] = frame["label"].to_numpy(dtype=object)
        prob[test] = frame["positive_prob"].to_numpy()
        sym_pred[test] = frame["symptom"].to_numpy(dtype=object)
        scored[test] = True
        fold = binary_metrics(y[test] == "outage", labels[test] == "outage")
        per_fold.append(fold["f1"])
        progress(f"cv fold {i}/{len(splits)}: f1 {fold['f1']:.3f}, macro-F1 {fold['macro_f1']:.3f}")
    ys, ls = y[scored], labels[scored]
    metrics = binary_metrics(ys == "outage", ls == "outage", prob[scored])
    metrics["folds"] = len(splits)
    metrics["grouped"] = group_list is not None
    metrics["rows_training_only"] = int(n - scored.sum())
    metrics["f1_per_fold"] = per_fold
    metrics["f1_std"] = round(float(np.std(per_fold)), 4)
    if set(np.unique(ys)) == set(THREE_CLASSES):
        from sklearn.metrics import accuracy_score, f1_score

        metrics["accuracy_3class"] = round(float(accuracy_score(ys, ls)), 4)
        metrics["macro_f1_3class"] = round(float(f1_score(ys, ls, average="macro")), 4)
    if symptom is not None:
        truth = symptom.to_numpy(dtype=object)
        ok = scored & (y == "outage") & (labels == "outage") & pd.notna(truth)
        if ok.any():
            metrics["symptom_accuracy"] = round(float(np.mean(sym_pred[ok] == truth[ok])), 4)
            metrics["symptom_n"] = int(ok.sum())
    return metrics


#: How the ``encoder-ft`` candidate fine-tunes MiniLM (see :class:`~.finetune.TopTuner`):
#: the top 5 of 6 layers and a linear head, 4 epochs at 5e-5, posts cut to 64 word pieces.
#: On three 75/25 splits of the complaint posts it gives held-out macro-F1 0.878 where the
#: top 2 layers (3 epochs at 1e-4) gave 0.861 (benchmarks/classifier.py, complaint section).
FINETUNE: dict[str, Any] = {"top_layers": 5, "epochs": 4, "lr": 5e-5, "max_length": 64}
#: How the ``encoder-tuned`` candidate fine-tunes its symptom head: the top 2 layers (tuning
#: 4 gave the same held-out symptom accuracy at twice the cost), reviews cut to 128 pieces.
SYMPTOM_FINETUNE: dict[str, Any] = {"top_layers": 2, "epochs": 3, "lr": 1e-4, "max_length": 128}
#: The ``encoder-large`` candidate's symptom head: the same recipe on all-mpnet-base-v2's
#: top 2 of 12 layers (see :mod:`.pretrained`), on two torch threads (five times the
#: compute of MiniLM's).
SYMPTOM_FINETUNE_LARGE: dict[str, Any] = {**SYMPTOM_FINETUNE, "base": "mpnet-base", "threads": 2}
#: The ``encoder-large-ft`` candidate's label head: MiniLM-L6's top 2 layers and a linear
#: head fine-tuned on the labels (the symptom recipe), read on the fast tier's uncertain
#: band. Leave one group of sources out it ranks outages at PR-AUC 0.895 alone against the
#: frozen tier's 0.860 (benchmarks/label_head.py).
LABEL_FINETUNE_BAND: dict[str, Any] = {**SYMPTOM_FINETUNE, "threads": 2}


def _tuned_head_entry(tuned: dict[str, Any], learns: str) -> dict[str, Any]:
    """A fine-tuned head's recipe (*tuned*: its TopTuner parameters) and its encoder, for
    the card; *learns* says what its linear head was fine-tuned on."""
    from detector.text.pretrained import describe_base

    base = describe_base(tuned.get("base", "minilm-l6"))
    return {
        **{k: tuned[k] for k in ("top_layers", "epochs", "lr", "max_length")},
        **base,
        "note": (
            f"the top {tuned['top_layers']} of {base['model']}'s {base['layers']} layers and "
            f"a linear head fine-tuned on {learns}; tuned weights saved in model.skops (each "
            "matrix as int8 steps from the pretrained layer, the rest float16), the frozen "
            "layers are the installed packages'"
        ),
    }


def _tuned_heads_card(states: list[dict[str, Any]], weight: float) -> dict[str, Any]:
    """The card's entry for the fine-tuned symptom heads: one head's recipe and encoder at
    the top level (as before several heads), every head under ``heads``."""
    heads = [_tuned_head_entry(s["params"], "the outage posts' symptoms") for s in states]
    card = {**heads[0], "weight": weight}
    if len(heads) > 1:
        card = {
            "weight": weight,
            "heads": heads,
            "note": (
                f"{len(heads)} fine-tuned symptom heads, their probabilities averaged, "
                f"weighted {weight} against the frozen heads"
            ),
        }
    return card


def _label_head_card(tuned: dict[str, Any], weight: float) -> dict[str, Any]:
    """The card's entry for a band tier's fine-tuned label head (recipe *tuned*)."""
    entry = _tuned_head_entry(tuned, "the labels")
    entry["note"] += (
        f"; on the uncertain band its probabilities are weighted {weight} against the frozen "
        "mix's, whose grouped out-of-fold scores chose the threshold"
    )
    return {**entry, "weight": weight}


def _pool_groups_note(
    pool: UnlabelledPool, groups: Sequence[Any] | None, group_col: str | None
) -> str:
    """Whether cross-validation can leave a held-out group's unlabelled posts out of its
    fold (for the card; a note starting "not left out" is also a warning)."""
    if groups is None:
        return "not applicable: the cross-validation folds are stratified, not grouped"
    known = {g for g in groups if g is not None}
    matched = sum(1 for g in pool.groups if g is not None and g in known)
    if not matched:
        return (
            f"not left out: no unlabelled post has a '{group_col}' value of the labelled "
            "posts, so every fold learns from the held-out groups' unlabelled posts too "
            "(give the --unlabelled files the same group column)"
        )
    return (
        f"{matched} of {len(pool.texts)} unlabelled posts share a '{group_col}' value with "
        "the labelled posts; a fold leaves out those of its held-out groups"
    )


def _distillation_card(teacher: dict[str, Any], added: dict[str, Any]) -> dict[str, Any]:
    """The card's entry for a distilled model: its teacher's recipe and what it labelled."""
    entry = _tuned_head_entry(teacher, "the labels")
    entry["note"] = (
        f"the teacher: the top {teacher['top_layers']} of {entry['model']}'s "
        f"{entry['layers']} layers and a linear head fine-tuned on the labelled posts; it "
        "labelled the --unlabelled posts (its most probable label) and the model was fitted "
        "on both, the pseudo-labelled rows training-only (never scored in cross-validation "
        "nor used for the threshold); in each CV fold the teacher was refitted and the "
        "fold's held-out posts left out of the unlabelled ones (its held-out groups' "
        "unlabelled posts too: see held_out_groups). The teacher is not saved: the "
        "model is the fast regression alone"
    )
    return {"teacher": entry, **added}


#: Pipelines ``train`` compares by cross-validation (name -> OutageClassifier parameters).
CANDIDATES: dict[str, dict[str, Any]] = {
    "post": {"features": "post", "C": 4.0, "class_weight": "balanced", "lexicon_weight": 1.0},
    "post-nolex": {
        "features": "post",
        "C": 4.0,
        "class_weight": "balanced",
        "lexicon_weight": 0.0,
    },
    "plain": {"features": "plain", "C": 10.0, "class_weight": None},
    # the threshold is tuned as every candidate's is: at the regression's own 0.5 the
    # baseline never flags a post when positives are rare (25 of 1,025: CV F1 0.000;
    # tuned: 0.361), and on balanced labels it gains too (held-out F1 0.657 -> 0.736)
    "baseline": {"features": "plain", "C": 10.0, "class_weight": None},
    "plain-encoder": {
        "tier": "encoder",
        "mode": "joint",
        "features": "plain",
        "C": 10.0,
        "class_weight": None,
    },
    "encoder": {
        "tier": "encoder",
        "features": "post",
        "C": 4.0,
        "class_weight": "balanced",
        "lexicon_weight": 0.0,
    },
    "encoder-tuned": {
        "tier": "encoder",
        "features": "post",
        "C": 4.0,
        "class_weight": "balanced",
        "lexicon_weight": 0.0,
        "symptom_tuner": dict(SYMPTOM_FINETUNE),
        "tuned_weight": 0.5,
    },
    "encoder-large": {
        "tier": "encoder",
        "features": "post",
        "C": 4.0,
        "class_weight": "balanced",
        "lexicon_weight": 0.0,
        "symptom_tuner": dict(SYMPTOM_FINETUNE_LARGE),
        # chosen leave one source out (benchmarks/tiered.py, 14 fits): on a 0.1 grid, by the
        # other 13 fits' posts, 0.6 in every fit (pooled symptom accuracy 0.849 vs 0.845)
        "tuned_weight": 0.6,
    },
    "encoder-ft": {
        "tier": "encoder",
        "mode": "finetune",
        "features": "post",
        "C": 4.0,
        "class_weight": "balanced",
        "lexicon_weight": 0.0,
        "label_tuner": dict(FINETUNE),
    },
}
#: ``encoder-large`` plus a fine-tuned label head on the band (the shipped tier since session
#: 24); its weight has the best pooled PR-AUC over 5 fits holding out groups of sources
#: (benchmarks/label_head.py; F1 at the tier's own threshold 0.807 at 0.6-1.0).
CANDIDATES["encoder-large-ft"] = {
    **CANDIDATES["encoder-large"],
    "symptom_tuner": dict(SYMPTOM_FINETUNE_LARGE),
    "label_tuner": dict(LABEL_FINETUNE_BAND),
    "label_tuned_weight": 0.8,
}
#: The key of a candidate's teacher: a fine-tuned label head whose labels of the
#: ``--unlabelled`` posts the candidate also learns from (:mod:`.distil`).
DISTIL = "distil"
#: The default's recipe distilled from the label head through unlabelled real posts. Five
#: fits holding out groups of sources (benchmarks/distil_label_head.py): see its results.
CANDIDATES["post-nolex-distil"] = {**CANDIDATES["post-nolex"], DISTIL: dict(LABEL_FINETUNE_BAND)}
#: Candidates compared when ``train`` is given none (``encoder`` needs the extra: opt-in).
#: ``plain`` is left out: it ranks posts exactly as the baseline does (the same fitted
#: pipeline, only its threshold is tuned), so it can never clear the PR-AUC margin.
DEFAULT_CANDIDATES: tuple[str, ...] = ("post", "post-nolex")
#: The reference every ``train`` run compares against (added when not listed): the plain
#: baseline at its own 0.5 (for a yes/no label exactly as ``evaluate`` and the benchmarks
#: train it; for outage/complaint/other labels as a 3-class regression).
BASELINE = "baseline"
#: ``threshold`` value of a candidate that keeps its regression's own decision (0.5).
RAW_THRESHOLD = "raw"
#: A candidate replaces the baseline only when its cross-validated PR-AUC is higher by
#: more than this and its F1 at its own threshold is not lower. Fold-to-fold noise of
#: PR-AUC is about 0.01 on a few thousand posts, so a candidate just over the margin may
#: be only as good: the F1 condition keeps that from costing the user anything.
TIE_MARGIN = 0.005
CANDIDATE_NOTES: dict[str, str] = {
    "post": "stemmed word 1-2-grams + outage lexicon groups (fast pyarrow path), LR C=4 balanced",
    "post-nolex": "stemmed word 1-2-grams without the lexicon columns (fast), LR C=4 balanced",
    "post-nolex-distil": (
        "'post-nolex' also fitted on the --unlabelled posts as labelled by MiniLM-L6 with its "
        "top 2 layers and a linear head fine-tuned on the labels (the teacher, refitted in "
        "every CV fold: a few CPU minutes per fit; the saved model is as fast as post-nolex "
        "and needs no torch)"
    ),
    "plain": "word 1-2 + char_wb 2-5 TF-IDF (scikit-learn), LR C=10, tuned threshold "
    "(the baseline's pipeline)",
    "baseline": (
        "the plain baseline: word 1-2 + char_wb 2-5 TF-IDF, LR C=10, threshold tuned like "
        "every candidate's (the reference a candidate must beat to be kept)"
    ),
    "plain-encoder": (
        "word 1-2 + char_wb 2-5 TF-IDF with the frozen MiniLM-L6 sentence embedding appended, "
        "one LR C=10 over both for every post (needs the 'encoder' extra; tens to a few "
        "hundred posts/s)"
    ),
    "encoder": (
        "post-nolex fast tier + frozen MiniLM-L6 sentence-encoder heads (label, symptom) on the "
        "fast tier's uncertain band (needs the 'encoder' extra: torch; a few hundred posts/s)"
    ),
    "encoder-tuned": (
        "the 'encoder' tier whose symptom is also read by MiniLM-L6 with its top 2 layers and "
        "a linear head fine-tuned on the outage posts' symptoms (averaged half and half with "
        "the other heads; a few CPU minutes more per fit)"
    ),
    "encoder-large": (
        "'encoder-tuned' with the symptom head fine-tuned on all-mpnet-base-v2 (top 2 of 12 "
        "layers) instead of MiniLM-L6: more accurate symptoms, about five times the compute "
        "(needs the 'encoder' extra and the mpnet-base packages; see pretrained.BASES)"
    ),
    "encoder-large-ft": (
        "'encoder-large' whose outage decision on the uncertain band is also read by MiniLM-L6 "
        "with its top 2 layers and a linear head fine-tuned on the labels (weight 0.8; the "
        "threshold chosen on the frozen mix's out-of-fold scores; a few CPU minutes more per "
        "fit, and the band's posts pass through MiniLM twice)"
    ),
    "encoder-ft": (
        "MiniLM-L6 with its top 5 of 6 layers and a linear head fine-tuned on the labels (4 "
        "epochs, 64 word pieces), deciding at its own probability 0.5 for every post (needs the "
        "'encoder' extra; a few minutes of CPU per fit, about a hundred posts/s)"
    ),
}
SELECT_BY = "pr_auc"


def select_winner(
    cv: dict[str, dict[str, Any]], *, decision: str = "f1", margin: float = TIE_MARGIN
) -> str:
    """The candidate to keep, given each candidate's cross-validated metrics *cv*.

    A candidate qualifies when its ``pr_auc`` beats the baseline's by more than
    *margin* and its *decision* metric (``f1`` or ``macro_f1`` at its own threshold) is
    not below the baseline's; the best qualifying ``pr_auc`` wins (ties: the earlier
    candidate). Without a qualifying candidate the baseline is kept, so ``train``
    never keeps a model its own cross-validation ranks below the plain baseline.

    A pipeline that never flags a positive post in cross-validation (recall 0) is not
    kept while another one does: when the baseline is such, the candidate with the best
    ``pr_auc`` among those that flag positives wins.

    >>> cv = {"post": {"pr_auc": 0.83, "f1": 0.70}, "plain": {"pr_auc": 0.846, "f1": 0.78},
    ...       "baseline": {"pr_auc": 0.845, "f1": 0.77}}
    >>> select_winner(cv)
    'baseline'
    >>> select_winner({**cv, "post": {"pr_auc": 0.86, "f1": 0.78}})
    'post'
    >>> select_winner({"post": {"pr_auc": 0.33, "f1": 0.33, "recall": 0.48},
    ...                "baseline": {"pr_auc": 0.43, "f1": 0.0, "recall": 0.0}})
    'post'
    """
    base = cv[BASELINE]
    names = list(cv)
    flagging = [n for n in names if not _never_flags(cv[n])]
    if _never_flags(base) and flagging:
        return max(flagging, key=lambda c: (cv[c]["pr_auc"] or 0.0, -names.index(c)))
    qualified = [
        name
        for name in names
        if name != BASELINE
        and (cv[name]["pr_auc"] or 0.0) > (base["pr_auc"] or 0.0) + margin
        and cv[name][decision] >= base[decision]
    ]
    if not qualified:
        return BASELINE
    return max(qualified, key=lambda c: (cv[c]["pr_auc"] or 0.0, -names.index(c)))


def _never_flags(metrics: Mapping[str, Any]) -> bool:
    """Did a pipeline flag no positive post at all in cross-validation?"""
    return not metrics.get("recall") and not metrics.get("f1")


#: ``train`` warns when the best CV F1 is below this, or not above calling every post
#: positive: no pipeline finds the positive posts.
USELESS_F1 = 0.05


def _versions() -> dict[str, str]:
    import nltk
    import pyarrow
    import scipy
    import sklearn
    import skops

    from detector import __version__

    return {
        "python": platform.python_version(),
        "outage-detector": __version__,
        "scikit-learn": sklearn.__version__,
        "skops": skops.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "pandas": pd.__version__,
        "pyarrow": pyarrow.__version__,
        "nltk": nltk.__version__,
    }


def train_model(
    paths: Sequence[str | Path],
    out: str | Path,
    *,
    text_col: str = "text",
    label_col: str = "label",
    positive: str | None = None,
    symptom_col: str | None = None,
    group_col: str | None = "source",
    train_only: Sequence[str | Path] = (),
    texts: Sequence[str | Path] = (),
    cv: int = 5,
    seed: int = 0,
    params: dict[str, Any] | None = None,
    candidates: Sequence[str] | None = None,
    baseline: bool = True,
    min_examples: int = MIN_EXAMPLES_PER_CLASS,
    progress: Progress = _quiet,
    require_group: bool = False,
    unlabelled: Sequence[str | Path] = (),
) -> dict[str, Any]:
    """Read, check, select a pipeline by cross-validation, fit and save a model in *out*.

    Every pipeline of *candidates* (default: :data:`DEFAULT_CANDIDATES`) and the plain
    baseline (:data:`BASELINE`, always added) are cross-validated on the same folds
    (grouped by *group_col* when the data has it, so a model is judged on groups, e.g.
    sources, it has not seen; with *require_group* every file must have it);
    :func:`select_winner` keeps the best out-of-fold PR-AUC among candidates that beat
    the baseline, else the baseline. *baseline* False leaves
    the baseline out (the best PR-AUC of *candidates* wins; for a model that must be
    fast, such as the shipped default, whatever the baseline scores). Rows of the
    *train_only* files are added to every training fold and never scored. A labelled
    file without a text column takes its texts by ``uid`` from the *texts* files
    (:class:`TextsById`). *params*
    are applied to every candidate. Posts of the *unlabelled* files are what a candidate
    that distils a teacher (``post-nolex-distil``, :mod:`.distil`) also learns from.
    Returns the card (with the comparison).
    """
    if cv < 2:
        raise UsageError(f"The 'cv' parameter of train must be an int >= 2. Got {cv!r} instead.")
    names = list(candidates or DEFAULT_CANDIDATES)
    if baseline and BASELINE not in names:
        names.append(BASELINE)
    unknown = [c for c in names if c not in CANDIDATES]
    if unknown:
        raise UsageError(
            f"unknown candidate pipeline(s) {', '.join(unknown)}; choose from "
            f"{', '.join(CANDIDATES)}"
        )
    distils = [c for c in names if DISTIL in CANDIDATES[c]]
    if distils and not unlabelled:
        raise UsageError(
            f"candidate '{distils[0]}' learns from unlabelled posts too: give them with "
            "--unlabelled FILE (e.g. ../shared/data/unlabeled/app_reviews_and_support.csv)"
        )
    if unlabelled and not distils:
        raise UsageError(
            "--unlabelled posts are read only by a candidate that distils a teacher: add "
            "post-nolex-distil to --candidates"
        )
    needs_encoder = [c for c in names if CANDIDATES[c].get("tier") == "encoder"] + distils
    if needs_encoder:
        from detector.text.encoder import INSTALL_HINT, encoder_available
        from detector.text.pretrained import BASES
        from detector.text.tiered import _as_list

        if not encoder_available():
            raise UsageError(f"candidate '{needs_encoder[0]}': {INSTALL_HINT}")
        for name in needs_encoder:
            for tuner in _as_list(CANDIDATES[name].get("symptom_tuner")):
                base = tuner.get("base")
                if base is not None and not BASES[base].available():
                    raise UsageError(f"candidate '{name}': {BASES[base].install_hint}")
    sym = symptom_col or "symptom"
    by_id = TextsById.read(texts) if texts else None
    data = read_labelled(
        paths,
        text_col=text_col,
        label_col=label_col,
        symptom_col=sym,
        group_col=group_col,
        by_id=by_id,
        progress=progress,
        group_required=require_group,
    )
    extra = None
    if train_only:
        extra = read_labelled(
            train_only,
            text_col=text_col,
            label_col=label_col,
            symptom_col=sym,
            train_only=True,
            by_id=by_id,
            progress=progress,
        )
    _note_unused_texts(by_id, [data, extra], progress)
    pool = (
        UnlabelledPool.read(unlabelled, text_col=text_col, group_col=group_col, progress=progress)
        if unlabelled
        else None
    )
    pool_groups = None
    y, task = map_labels(data.label, positive)
    label_values = sorted({str(v) for v in data.label})
    keep, duplicates = duplicate_rows(data.text, y)
    if len(keep) < len(data.text):  # repeats or texts labelled both ways
        data = _subset(data, keep)
        y = y[keep]
        progress(f"duplicates: {duplicates['note']}")
    if extra is not None:
        y_extra, _ = map_labels(extra.label, task["positive"] if task["mode"] == "binary" else None)
        keep_extra, extra_dups = duplicate_rows(extra.text, y_extra, also_in=data.text)
        if len(keep_extra) < len(extra.text):  # repeats, conflicts or labelled posts again
            extra = _subset(extra, keep_extra)
            progress(f"duplicates in --train-only: {extra_dups['note']}")
        duplicates["train_only"] = extra_dups
    per_class = check_enough(y, task, label_col, min_examples)
    smallest = min(per_class.values())
    if smallest < cv:
        raise TooLittleDataError(
            f"too little data for {cv}-fold CV: the smallest class has {smallest} examples"
        )
    assert data.group is not None
    n_groups = data.group.nunique()
    groups: list[Any] | None = fold_groups(data.group)
    grouped = groups is not None  # whole groups held out, in as many folds as there are, up to cv
    folds_run = min(cv, n_groups) if grouped else cv
    texts = list(data.text)
    symptom = data.symptom
    if extra is not None:
        y_extra, _ = map_labels(extra.label, task["positive"] if task["mode"] == "binary" else None)
        texts += extra.text
        y = np.concatenate([y, y_extra])
        if groups is None:  # ungrouped real rows: one pseudo-group per CV fold is not
            groups = [f"fold-{i % cv}" for i in range(len(data.text))]  # possible; stratify
        groups += [None] * len(extra.text)
        if symptom is not None or extra.symptom is not None:
            symptom = pd.concat(
                [
                    data.symptom
                    if data.symptom is not None
                    else pd.Series([None] * len(data.text), dtype=object),
                    extra.symptom
                    if extra.symptom is not None
                    else pd.Series([None] * len(extra.text), dtype=object),
                ],
                ignore_index=True,
            )
    outage_task = task["mode"] == "3class" or str(task["positive"]).lower() == "outage"
    if not outage_task:
        symptom = None
    how = (
        f"{folds_run} folds holding out whole '{group_col}' groups ({n_groups} groups"
        + (f", fewer than --cv {cv}" if folds_run < cv else "")
        + ")"
        if grouped
        else f"stratified {cv}-fold"
    )
    if extra is not None:
        how += f"; {len(extra.text)} training-only rows never scored"
    progress(
        f"training a {task['mode']} model on {len(y)} posts "
        f"({', '.join(f'{k}: {v}' for k, v in per_class.items())}); comparing "
        f"{', '.join(names)} by {how} cross-validation"
    )
    if pool is not None:
        pool_groups = _pool_groups_note(pool, groups if grouped else None, group_col)
        if pool_groups.startswith("not left out"):
            progress(f"warning: --unlabelled posts: {pool_groups}")
    comparison: dict[str, Any] = {}
    for name in names:
        candidate_params = {**CANDIDATES[name], **(params or {})}
        progress(f"candidate '{name}': {CANDIDATE_NOTES[name]}")
        metrics = cross_validate(
            texts,
            y,
            symptom,
            folds=cv,
            seed=seed,
            params=candidate_params,
            groups=groups,
            progress=progress,
            pool=pool,
        )
        comparison[name] = {"params": candidate_params, "cv": metrics}
        progress(
            f"candidate '{name}': PR-AUC {metrics['pr_auc']}, precision "
            f"{metrics['precision']:.3f}, recall {metrics['recall']:.3f}, f1 "
            f"{metrics['f1']:.3f}, macro-F1 {metrics['macro_f1']:.3f}"
        )
    decision = "macro_f1" if (params or {}).get("threshold_metric") == "macro_f1" else "f1"
    if BASELINE in names:
        winner = select_winner({c: comparison[c]["cv"] for c in names}, decision=decision)
        rule = (
            f"the candidate with the best cross-validated {SELECT_BY} among those above the "
            f"plain baseline's by more than {TIE_MARGIN} whose {decision} is not below the "
            "baseline's; else the baseline (ties go to the baseline); a pipeline that flags "
            "no positive post in cross-validation is never kept while another one does"
        )
    else:
        winner = max(names, key=lambda c: (comparison[c]["cv"]["pr_auc"] or 0.0, -names.index(c)))
        rule = f"the best cross-validated {SELECT_BY} (the plain baseline was not compared)"
    progress(
        f"selected '{winner}' "
        + (
            "(no candidate beat the plain baseline in cross-validation)"
            if winner == BASELINE
            else f"(the baseline flags no '{task['positive']}' post in cross-validation; the "
            f"best cross-validated {SELECT_BY} of those that do)"
            if BASELINE in names and _never_flags(comparison[BASELINE]["cv"])
            else f"(best cross-validated {SELECT_BY}"
            + (f", above the baseline's; {decision} not below)" if BASELINE in names else ")")
        )
    )
    metrics = comparison[winner]["cv"]
    best_f1 = max(float(comparison[c]["cv"]["f1"] or 0.0) for c in names)
    positives = per_class.get(task["positive"], 0)
    share = positives / max(sum(per_class.values()), 1)
    flag_all = 2 * share / (1 + share)  # the F1 of calling every post positive
    if best_f1 < max(USELESS_F1, flag_all + 0.01):
        progress(
            f"WARNING: no pipeline finds the '{task['positive']}' posts in cross-validation "
            f"(best F1 {best_f1:.3f}; calling every post '{task['positive']}' gives "
            f"{flag_all:.3f}; {positives} of {sum(per_class.values())} posts are "
            f"'{task['positive']}'): this model is no better than guessing; label more "
            "positive posts or check the labels"
        )
    model = _fit_estimator(
        seed,
        comparison[winner]["params"],
        texts,
        y,
        None if symptom is None else symptom.tolist(),
        groups,
        pool,
        progress=progress,
    )
    distilled = model.__dict__.pop("distilled_", None)  # for the card, not the model file
    unused = None  # why the data's own symptom column was not used (None: it has none)
    if data.symptom is not None and not outage_task:
        unused = (
            f"the training data's symptom column '{sym}' is not used (the positive class "
            f"is '{task['positive']}', not outage)"
        )
    elif data.symptom is not None:
        unused = f"the training data's symptom column '{sym}' has fewer than 2 symptoms"
    symptoms_from = (
        f"the symptom column '{sym}' of the training data"
        if symptom is not None and len(model.symptom_classes_) >= 2
        else _seed_symptoms(model, progress, unused)
    )
    out = Path(out)
    files = data.files + (extra.files if extra is not None else [])
    if distilled is not None and pool is not None:
        files += pool.files
    card = {
        "name": out.name,
        "format_version": 1,
        "created": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "task": {
            "mode": task["mode"],
            "positive": task["positive"],
            "classes": [str(c) for c in model.classes_],
            "text_col": text_col,
            "label_col": label_col,
            "symptom_col": sym if symptom is not None else None,
            "symptoms": [str(s) for s in model.symptom_classes_],
            "symptoms_from": symptoms_from,
            "label_values": label_values[:100],
        },
        "data": files,
        "rows": len(y),
        "rows_per_class": per_class,
        "duplicates": duplicates,
        "parameters": {k: v for k, v in model.get_params().items()},
        "threshold": round(float(model.threshold_), 4),
        "threshold_chosen_on": (
            "the regression's own probability 0.5, expressed on the calibrated scale"
            if CANDIDATES.get(winner, {}).get("threshold") == RAW_THRESHOLD
            else "the fine-tuned head's own probability 0.5 (not refitted out of fold)"
            if CANDIDATES.get(winner, {}).get("mode") == "finetune"
            else f"out-of-fold scores of {model.oof_scored_} rows "
            + (f"({how}) " if grouped else "")
            + f"maximising {model.threshold_metric}; training-only rows excluded"
            + (
                " (scores of the frozen mix, before the fine-tuned label head)"
                if getattr(model, "label_tuned_", None) is not None  # "finetune" is above
                else ""
            )
        ),
        "cv": metrics,
        "cv_note": (
            f"{how} cross-validation; metrics are of out-of-fold predictions of the "
            "labelled rows only"
            + (" (training-only rows such as self-written seed posts excluded)" if extra else "")
        ),
        "selection": {
            "metric": SELECT_BY,
            "rule": rule,
            "winner": winner,
            "candidates": {
                name: {
                    "description": CANDIDATE_NOTES[name],
                    "params": comparison[name]["params"],
                    **{
                        k: comparison[name]["cv"].get(k)
                        for k in ("pr_auc", "precision", "recall", "f1", "macro_f1")
                    },
                }
                for name in names
            },
        },
        "library_versions": _versions(),
    }
    if distilled is not None and pool is not None:
        card["distillation"] = {
            **_distillation_card(comparison[winner]["params"][DISTIL], distilled),
            "held_out_groups": pool_groups,
        }
    if CANDIDATES[winner].get("tier") == "encoder":
        from detector.text.tiered import shared_encoder

        card["encoder"] = {**shared_encoder().describe(), "mode": model.mode}
        if model.mode == "finetune":
            tuned = model.label_tuned_["params"]
            card["encoder"].update(
                model=(
                    "sentence-transformers/all-MiniLM-L6-v2: lower "
                    f"{N_LAYERS - tuned['top_layers']} layers frozen, top "
                    f"{tuned['top_layers']} layers and a linear head fine-tuned on this data "
                    "(mean pooling)"
                ),
                fine_tuning={k: tuned[k] for k in ("top_layers", "epochs", "lr", "max_length")},
                max_length=tuned["max_length"],
                measured_posts_per_s=None,
                measured_on_posts=0,
                note=(
                    "every post is read by the fine-tuned encoder; the tuned weights are "
                    "saved in model.skops (each matrix as int8 steps from the pretrained "
                    "layer, the rest float16), the frozen layers are the installed "
                    "package's; the threshold is the head's own probability 0.5"
                ),
            )
        elif model.mode == "joint":
            card["encoder"]["note"] = (
                "every post is encoded: one regression reads the n-gram features and the "
                f"embedding (weight {model.embedding_weight}); measured_posts_per_s is the "
                "encoder's speed while this model was trained (single process, shared machine)"
            )
        else:
            heads = model._tuned_states()
            if heads:
                card["encoder"]["symptom_fine_tuning"] = _tuned_heads_card(
                    heads, model.tuned_weight
                )
            if getattr(model, "label_tuned_", None) is not None:
                card["encoder"]["label_fine_tuning"] = _label_head_card(
                    model.label_tuned_["params"], model.label_tuned_weight
                )
            card["encoder"].update(
                band=[model.band_low, model.band_high],
                band_share_of_labelled_posts=model.band_share_,
                note=(
                    "posts whose fast-tier outage probability is inside the band, and posts it "
                    "calls outages, are encoded; measured_posts_per_s is the encoder's speed "
                    "while this model was trained (single process, shared machine)"
                ),
            )
    fitted_on = texts + (pool.texts if distilled is not None and pool is not None else [])
    card = _save_atomically(model, out, card, fitted_on)  # posts it must not be judged on
    progress(f"wrote {out} ({_size(card['model_bytes'])})")
    return card


#: Outage posts with symptoms the project wrote itself (MIT), for models whose own
#: training posts carry none.
SEED_POSTS = ("data", "seed_posts.csv")


def _seed_symptoms(model: Any, progress: Progress, unused: str | None = None) -> str | None:
    """Give *model*, trained without symptoms, a symptom model learned from the project's
    seed outage posts over its own features (the keyword rules then apply too, as for the
    shipped model); returns what the card says about it (None: no symptom model).
    *unused* says why the training data's symptom column was not used (None: it has none)."""
    from detector.paths import project_path
    from detector.text.classifier import OutageClassifier

    path = project_path(*SEED_POSTS)
    if not isinstance(model, OutageClassifier) or not path.is_file():
        progress(
            f"note: {'the training data has no symptoms' if unused is None else unused}; "
            "every outage post's symptom is 'other'"
        )
        return None
    seed = pd.read_csv(path, dtype=str, keep_default_na=False)
    seed = seed[(seed["label"] == "outage") & (seed["symptom"].str.strip() != "")]
    model.fit_symptoms(seed["text"].tolist(), seed["symptom"].tolist())
    progress(
        f"symptoms: {'the training data has none' if unused is None else unused}; "
        f"learned from the project's {len(seed)} "
        f"seed outage posts ({'/'.join(SEED_POSTS)}) plus the keyword rules"
    )
    return (
        f"the project's {len(seed)} seed outage posts with symptoms ({'/'.join(SEED_POSTS)}, "
        "written by the project, MIT) over this model's features, plus the keyword rules: "
        + ("the training data has no symptom column" if unused is None else unused)
    )


def _size(n_bytes: int) -> str:
    """A file size for people: KB below a megabyte.

    >>> _size(41_234), _size(2_500_000)
    ('41 KB', '2.5 MB')
    """
    return f"{n_bytes / 1e6:.1f} MB" if n_bytes >= 1e6 else f"{max(1, round(n_bytes / 1e3))} KB"


def _save_atomically(
    model: Any, out: Path, card: dict[str, Any], texts: Sequence[str] | None = None
) -> dict[str, Any]:
    """Save into a temporary sibling folder, then swap it in (an old model is replaced
    only once the new one is complete)."""
    import shutil
    import tempfile
    import uuid

    tmp = out.parent / f".{out.name}.partial-{uuid.uuid4().hex[:12]}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()  # mode from the umask, like any folder (mkdtemp's would be 0700)
        card = save_model(model, tmp, card, texts=texts)
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
            out.replace(old / out.name)
            tmp.replace(out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.replace(out)
    except OSError as err:  # the folder cannot be made (73) or the disk is full (74)
        if isinstance(err, DetectorError):
            raise
        raise write_failure(f"the model folder '{out}'", err) from err
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return card


def evaluate_model(
    model: OutageModel,
    paths: Sequence[str | Path],
    *,
    text_col: str = "text",
    label_col: str = "label",
    positive: str | None = None,
    baseline: bool = False,
    baseline_folds: int = 5,
    baseline_train: Sequence[str | Path] = (),
    group_col: str | None = "source",
    texts: Sequence[str | Path] = (),
    progress: Progress = _quiet,
    positive_of: OutageModel | None = None,
    require_group: bool = False,
    check_positive: bool = True,
) -> dict[str, Any]:
    """Positive-vs-rest metrics of *model* on labelled files (texts by uid from the *texts*
    files for a file without a text column, as in :func:`train_model`).

    With *baseline*, ``metrics["baseline"]`` holds the plain baseline's metrics on
    the same posts: fitted on the labelled files *baseline_train* when given (the data
    the model was trained on, to check ``train``'s promise on held-out posts; as
    ``train`` fits it: its threshold chosen on folds that hold out whole *group_col*
    groups when those files have 2 or more; with *require_group* each must have that
    column), else cross-validated on the evaluation posts themselves (:func:`baseline_cv`).

    Without *positive*, the positive label is the card's of *positive_of* (default
    *model*) when the data has it. ``metrics["warnings"]`` names label values the model
    never saw in training (counted as the rest), a positive class other than the one
    the model was trained to detect (``metrics["model_positive"]``) and the share of the
    posts it was trained on (``metrics["trained_on"]``); *check_positive* False leaves
    out the positive-class warning (a caller that compared the tasks itself).
    ``metrics["rows_skipped"]`` counts the rows without a text or a label.
    """
    by_id = TextsById.read(texts) if texts else None
    data = read_labelled(
        paths, text_col=text_col, label_col=label_col, by_id=by_id, progress=progress
    )
    train = None
    if positive is None:
        card_positive = ((positive_of or model).card.get("task") or {}).get("positive")
        lowered = set(data.label.astype(str).str.lower())
        if card_positive and str(card_positive).lower() in lowered:
            positive = str(card_positive)
    y, task = map_labels(data.label, positive, purpose="evaluation")
    scored = model.predict_posts(data.text)
    metrics = binary_metrics(
        y == "outage", scored["is_outage"].to_numpy(), scored["outage_prob"].to_numpy()
    )
    metrics["positive"] = task["positive"]
    metrics["model"] = model.name
    metrics["model_positive"] = model_positive(model)
    metrics["rows_skipped"] = sum(int(f["rows"]) - int(f["rows_used"]) for f in data.files)
    if baseline and baseline_train:
        progress("baseline: plain TF-IDF + logistic regression, fitted on --baseline-train")
        train = read_labelled(
            baseline_train,
            text_col=text_col,
            label_col=label_col,
            group_col=group_col,
            by_id=by_id,
            progress=progress,
            option="--baseline-train",
            group_required=require_group,
        )
        train_y, _ = map_labels(train.label, task["positive"])
        keep, _ = duplicate_rows(train.text, train_y)  # as train reads them
        metric = (model.card.get("parameters") or {}).get("threshold_metric") or "f1"
        fitted = _fit_estimator(
            0,
            {**CANDIDATES[BASELINE], "threshold_metric": metric},
            [str(train.text[i]) for i in keep],
            train_y[keep],
            None,
            fold_groups(None if train.group is None else train.group.iloc[keep]),
        )
        scored_base = fitted.predict_columns([str(t) for t in data.text])
        metrics["baseline"] = binary_metrics(
            y == "outage", scored_base["is_positive"], scored_base["positive_prob"]
        )
        metrics["baseline"]["trained"] = (
            BASELINE_PIPELINE
            + f", fitted on {len(keep)} posts of "
            + ", ".join(str(p) for p in baseline_train)
            + f" with its threshold tuned for {metric} on out-of-fold scores, as train "
            "fits it, and scored on the evaluation data"
        )
    elif baseline:
        progress("baseline: plain TF-IDF + logistic regression, cross-validated on this data")
        metrics["baseline"] = baseline_cv(data.text, y == "outage", folds=baseline_folds)
    _note_unused_texts(by_id, [data, train], progress)
    warnings = other_positive(model, task["positive"]) if check_positive else []
    warnings += unseen_labels(model, data.label, y, task["positive"])
    warnings += trained_on(model, data.files)  # their sha256 as read_labelled hashed them
    overlap = trained_on_posts(model, data.text)
    if overlap is not None:
        metrics["trained_on"] = overlap
        if overlap["posts"]:
            warnings.append(
                f"{overlap['posts']} of {overlap['n']} posts ({overlap['share']:.1%}) of "
                f"{', '.join(str(p) for p in paths)} are posts {model.name} was trained on "
                "(the same text, ignoring case and spacing): on those the metrics measure "
                "fit, not quality on new posts"
            )
    if warnings:
        metrics["warnings"] = warnings
    return metrics


def model_positive(model: OutageModel) -> str:
    """The class *model* was trained to detect: its card's ``task.positive``, else (a
    model saved outside ``train``) its estimator's positive label."""
    positive = (model.card.get("task") or {}).get("positive")
    if positive:
        return str(positive)
    return str(getattr(model.estimator, "positive_label", None) or "outage")


def other_positive(model: OutageModel, positive: str) -> list[str]:
    """A warning when *positive*, the class a model is evaluated on, is not the class it
    was trained to detect: its positive predictions are then counted as another class."""
    trained = model_positive(model)
    if same_positive(trained, positive):
        return []
    return [
        f"{model.name} was trained to detect '{trained}' (its card's positive class), but "
        f"'{positive}' is the positive class here: its '{trained}' predictions are counted "
        f"as '{positive}', so the metrics measure another task unless '{positive}' means "
        f"'{trained}' in these labels"
    ]


def unseen_labels(
    model: OutageModel, labels: pd.Series, y: np.ndarray, positive: str = "positive"
) -> list[str]:
    """A warning for each label value of an evaluation file that the model's training
    labels (its card's ``task.label_values``) never had and that is counted as the rest:
    a typo or a new class the user may not mean as a negative. Only when the *positive*
    value is one of the training labels (the same labelling scheme)."""
    task = model.card.get("task") or {}
    seen = task.get("label_values")
    if seen is None and task.get("mode") == "3class":
        seen = list(THREE_CLASSES)
    known = {str(v).lower() for v in seen or []}
    if str(positive).lower() not in known:  # another labelling scheme: nothing to compare
        return []
    lowered = labels.astype(str).str.lower().to_numpy()
    unseen = pd.Series(
        labels.astype(str).to_numpy()[~np.isin(lowered, list(known)) & (y != "outage")]
    )
    return [
        f"label value {value!r} ({count} row{'s' if count > 1 else ''}) was never a label of "
        f"{model.name}'s training data ({', '.join(map(str, seen[:10]))}): counted as not "
        f"'{positive}'"
        for value, count in unseen.value_counts().items()
    ]


def trained_on_posts(model: OutageModel, texts: Sequence[str]) -> dict[str, Any] | None:
    """How many of *texts* the model was trained on (by the hashes saved beside it, see
    :func:`~detector.text.modelstore.text_hashes`): ``{"posts", "n", "share"}``; None
    for a model saved without them."""
    from detector.text.modelstore import text_hashes, training_hashes

    known = training_hashes(model.path, model.card)
    if known is None:
        known = hashes_of_training_files(model.card)
    if known is None:
        return None
    inside = int(np.isin(text_hashes(texts), known).sum())
    return {"posts": inside, "n": len(texts), "share": round(inside / max(len(texts), 1), 4)}


def hashes_of_training_files(card: Mapping[str, Any]) -> np.ndarray | None:
    """For a model saved without its posts' hashes: those of the training files its
    *card* lists that are still where it says, unchanged (same sha256); a relative path
    is looked for from the current folder, then from the project's (where the shipped
    models were trained). None when there are none.

    >>> card = {"data": [{"path": "data/seed_posts.csv",
    ...                   "sha256": sha256_of(Path("data/seed_posts.csv"))}]}
    >>> len(hashes_of_training_files(card)) > 3000
    True
    """
    from detector.paths import project_root
    from detector.text.modelstore import text_hashes

    text_col = (card.get("task") or {}).get("text_col") or "text"
    found = []
    for entry in card.get("data") or []:
        raw = entry.get("path") if isinstance(entry, dict) else None
        if not raw:
            continue
        given = Path(str(raw))
        candidates = [given] if given.is_absolute() else [given, project_root() / given]
        path = next((p for p in candidates if p.is_file()), None)
        if path is None or sha256_of(path) != entry.get("sha256"):
            continue
        try:
            frame = read_table(path)
        except DataError:
            continue
        if text_col in frame.columns:
            found.append(text_hashes(frame[text_col].dropna().astype(str).tolist()))
    return np.unique(np.concatenate(found)) if found else None


def trained_on(model: OutageModel, files: Sequence[Mapping[str, Any]]) -> list[str]:
    """A warning for each labelled file of *files* (``path`` and ``sha256``, as
    :func:`read_labelled` describes them) whose bytes are those of a file the model was
    trained on (its card's ``data`` sha256): metrics on it measure fit, not quality on
    new posts.

    >>> from detector.text.modelstore import load_model
    >>> seed = {"path": "data/seed_posts.csv", "sha256": sha256_of(Path("data/seed_posts.csv"))}
    >>> trained_on(load_model(), [seed])[0].split(" (")[0]
    'data/seed_posts.csv is a file outage-v3 was trained on'
    """
    trained = {
        str(entry.get("sha256")): entry
        for entry in model.card.get("data") or []
        if isinstance(entry, dict) and entry.get("sha256")
    }
    found = []
    for info in files:
        entry = trained.get(str(info.get("sha256")))
        if entry is not None:
            found.append(
                f"{info['path']} is a file {model.name} was trained on (its card's data: "
                f"{entry.get('file') or entry.get('path')}): these metrics measure how well "
                "it fits its training posts, not how it does on new ones; evaluate on "
                "posts it never saw"
            )
    return found


#: The plain baseline's pipeline, in words.
BASELINE_PIPELINE = "plain word 1-2 + char_wb 2-5 TF-IDF + logistic regression (C=10)"


def plain_pipeline() -> Any:
    """The plain baseline: word 1-2 + char_wb 2-5 TF-IDF + logistic regression, written
    out in scikit-learn so it does not depend on this project's code (unfitted)."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    return make_pipeline(
        make_union(
            TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=2),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
        ),
        LogisticRegression(max_iter=2000, C=10),
    )


#: How ``evaluate`` trains the baseline it prints beside the model.
BASELINE_NOTE = (
    BASELINE_PIPELINE
    + ", trained and scored by stratified {folds}-fold cross-validation on the evaluation "
    "data itself (out-of-fold predictions at probability 0.5): an in-domain reference the "
    "model should approach without having seen this data"
)


def baseline_cv(
    texts: Sequence[str], truth: Sequence[bool], *, folds: int = 5, seed: int = 0
) -> dict[str, Any]:
    """Metrics of the plain baseline cross-validated on labelled posts (see BASELINE_NOTE).

    >>> texts = ["app is down", "cannot log in", "thanks so much", "nice day"] * 10
    >>> baseline_cv(texts, [True, True, False, False] * 10, folds=2)["f1"]
    1.0
    >>> baseline_cv(["down", "fine"], [True, False])["skipped"]  # doctest: +ELLIPSIS
    'the plain baseline needs at least 2 posts of each class ... 1 positive and 1 other'
    >>> baseline_cv(["a b", "c d", "e f", "g h"], [True, True, False, False])["skipped"]
    ... # doctest: +ELLIPSIS
    'the plain baseline could not be fitted on a fold of 2 posts (no word occurs twice)...'
    """
    from sklearn.model_selection import StratifiedKFold

    texts = [str(t) for t in texts]
    t = np.asarray(truth, dtype=bool)
    smaller = min(int(t.sum()), int((~t).sum()))
    if smaller < 2:
        return {
            "skipped": "the plain baseline needs at least 2 posts of each class to be "
            f"cross-validated here; this data has {int(t.sum())} positive and "
            f"{int((~t).sum())} other"
        }
    folds = max(2, min(folds, smaller))
    prob = np.zeros(len(texts))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    with threadpool_limits(limits=1):
        for train, test in splitter.split(np.zeros(len(t)), t):
            pipe = plain_pipeline()
            try:
                pipe.fit([texts[i] for i in train], t[train])
            except ValueError as err:  # a fold whose words all occur once (min_df=2)
                if "no terms remain" not in str(err) and "empty vocabulary" not in str(err):
                    raise
                return {
                    "skipped": f"the plain baseline could not be fitted on a fold of "
                    f"{len(train)} posts (no word occurs twice); this data has "
                    f"{len(texts)} posts"
                }
            prob[test] = pipe.predict_proba([texts[i] for i in test])[:, 1]
    metrics = binary_metrics(t, prob >= 0.5, prob)
    metrics["trained"] = BASELINE_NOTE.format(folds=folds)
    return metrics
