"""Features of normalised posts: word n-grams and outage-phrase lexicon groups.

:class:`PostVectorizer` turns posts into one sparse matrix:

- word unigrams and bigrams of the normalised text (see :mod:`.normalize`),
  folded by the Porter stemmer at fit time (``crashing``/``crashed`` share a
  column), weighted by sublinear TF-IDF and L2-normalised;
- one column per lexicon group (:data:`LEXICON`): counts of phrases such as
  ``not neg_working``, ``no neg_internet``, ``down _q_`` pooled per group, so a
  phrase seen rarely in training still carries the weight its group learned.
  These generalise across sources because they encode how people report a
  failure, not which brand or topic a source is about.

Tokenising, n-gram building and the vocabulary lookup are pyarrow compute
kernels over the whole batch (no Python loop per post), which keeps the batch
path far faster than scikit-learn's token pattern.

>>> vec = PostVectorizer(min_df=1).fit(["outlook is down", "lunch is great"])
>>> X = vec.transform(["is outlook down?"])
>>> X.shape == (1, len(vec.vocabulary_terms_) and vec.n_features_out_)
True
>>> vec.lexicon_counts(["is outlook down?"])[0, LEXICON_GROUPS.index("down")]
np.float64(2.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from detector.errors import UsageError
from detector.text.normalize import normalize_array, to_arrow
from detector.text.postfeatures import LEXICON, LEXICON_GROUPS, PostFeatures, terms_of

__all__ = ["LEXICON", "LEXICON_GROUPS", "PlainVectorizer", "PostVectorizer", "terms_of"]


@lru_cache(maxsize=1)
def _stemmer():  # nltk's Porter stemmer needs no downloaded data
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer(mode=PorterStemmer.NLTK_EXTENSIONS)


@lru_cache(maxsize=200_000)
def _stem(token: str) -> str:
    if token.startswith("neg_"):
        return "neg_" + _stem(token[4:])
    if token.startswith("_"):
        return token
    return _stemmer().stem(token, to_lowercase=False)


class PostVectorizer(TransformerMixin, BaseEstimator, PostFeatures):
    """Sparse features of posts: stemmed word n-grams (TF-IDF) plus lexicon groups.

    Parameters
    ----------
    ngram_range : (1, 1) or (1, 2)
        Word n-grams to use.
    min_df : int
        Keep a (stemmed) term seen in at least this many training posts.
    max_features : int
        Keep at most this many terms (the most frequent), so the model stays small.
    lexicon_weight : float
        Scale of the lexicon-group columns (``log1p`` of the counts); 0 drops them.
    length_weight : float
        Scale of the last column, ``log1p`` of the number of tokens. Off by default:
        post length differs by source (subject lines, tweets) and does not transfer.
    stem : bool
        Fold inflections with nltk's Porter stemmer when building the vocabulary.

    >>> PostVectorizer(ngram_range=(1, 3)).fit(["x"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    detector.errors.UsageError: The 'ngram_range' parameter of PostVectorizer must be ...
    """

    def __init__(
        self,
        *,
        ngram_range: tuple[int, int] = (1, 2),
        min_df: int = 2,
        max_features: int = 50_000,
        lexicon_weight: float = 1.0,
        length_weight: float = 0.0,
        stem: bool = True,
    ) -> None:
        self.ngram_range = ngram_range
        self.min_df = min_df
        self.max_features = max_features
        self.lexicon_weight = lexicon_weight
        self.length_weight = length_weight
        self.stem = stem

    # -- fitting -----------------------------------------------------------------------
    def fit(self, X: Sequence[str], y: object = None) -> PostVectorizer:
        """Learn the vocabulary and IDF weights from posts *X*."""
        self._validate()
        normalised = normalize_array(to_arrow(X), tidy=False)
        terms, rows = terms_of(normalised, bigrams=self.ngram_range[1] == 2)
        encoded = pc.dictionary_encode(terms)
        surface = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
        codes = encoded.indices.to_numpy()
        keys = np.asarray([self._key(t) for t in surface], dtype=object)
        key_uniques, key_of_surface = np.unique(keys.astype(str), return_inverse=True)
        key_codes = key_of_surface[codes]
        n_docs = len(normalised)
        pairs = np.unique(rows * len(key_uniques) + key_codes)
        df = np.bincount(pairs % len(key_uniques), minlength=len(key_uniques))
        keep = np.flatnonzero(df >= self.min_df)
        if len(keep) > self.max_features:
            order = np.lexsort((key_uniques[keep], -df[keep]))  # frequent first, ties by name
            keep = np.sort(keep[order[: self.max_features]])
        column_of_key = np.full(len(key_uniques), -1, dtype=np.int64)
        column_of_key[keep] = np.arange(len(keep))
        surface_cols = column_of_key[key_of_surface]
        known = surface_cols >= 0
        self.vocabulary_terms_ = np.asarray(surface[known].astype(str))
        self.vocabulary_columns_ = surface_cols[known].astype(np.int32)
        self.feature_terms_ = np.asarray(key_uniques[keep].astype(str))
        self.idf_ = (np.log((1 + n_docs) / (1 + df[keep])) + 1.0).astype(np.float64)
        self.n_features_out_ = len(keep) + len(LEXICON_GROUPS) + 1
        self._lookup = self._vocab = None
        return self

    def _key(self, term: str) -> str:
        if not self.stem:
            return term
        return " ".join(_stem(t) for t in term.split(" "))

    def _validate(self) -> None:
        if tuple(self.ngram_range) not in ((1, 1), (1, 2)):
            raise UsageError(
                "The 'ngram_range' parameter of PostVectorizer must be (1, 1) or (1, 2). "
                f"Got {tuple(self.ngram_range)!r} instead."
            )
        if not (isinstance(self.min_df, int | np.integer) and self.min_df >= 1):
            raise UsageError(
                "The 'min_df' parameter of PostVectorizer must be an int >= 1. "
                f"Got {self.min_df!r} instead."
            )

    def __getstate__(self) -> dict[str, object]:
        state = dict(super().__getstate__())
        state.pop("_lookup", None)  # caches, rebuilt on first use
        state.pop("_vocab", None)
        return state

    def _require_fitted(self) -> None:
        check_is_fitted(self, "idf_")


class PlainVectorizer(TransformerMixin, BaseEstimator):
    """The plain baseline's features: word 1-2 and char_wb 2-5 n-gram TF-IDF (scikit-learn).

    Same interface as :class:`PostVectorizer` (``normalise`` then
    ``transform_normalised``), so :class:`~detector.text.classifier.OutageClassifier`
    can use either; the n-grams are taken from the posts as written. It is the
    candidate ``train`` compares the project's features with: slower (about 10x),
    often as good on a user's own single-source task.

    >>> vec = PlainVectorizer(min_df=1).fit(["outlook is down", "lunch is great"])
    >>> vec.transform(["is outlook down?"]).shape[0]
    1
    """

    def __init__(
        self, *, min_df: int = 2, max_features: int | None = None, raw_text: bool = True
    ) -> None:
        self.min_df = min_df
        self.max_features = max_features
        self.raw_text = raw_text

    def _parts(self) -> list:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return [
            TfidfVectorizer(
                ngram_range=(1, 2),
                sublinear_tf=True,
                min_df=self.min_df,
                max_features=self.max_features,
                dtype=np.float64,
            ),
            TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 5),
                sublinear_tf=True,
                min_df=self.min_df,
                max_features=self.max_features,
                dtype=np.float64,
            ),
        ]

    def fit(self, X: Sequence[str], y: object = None) -> PlainVectorizer:
        """Learn both vocabularies and IDF weights from posts *X*."""
        texts = [str(t) for t in self.normalise(X).to_pylist()]
        self.word_, self.char_ = (part.fit(texts) for part in self._parts())
        self.n_features_out_ = len(self.word_.vocabulary_) + len(self.char_.vocabulary_)
        return self

    def transform(self, X: Sequence[str]) -> sp.csr_matrix:
        """Feature matrix of posts *X* (rows in the order of *X*)."""
        return self.transform_normalised(self.normalise(X))

    def normalise(self, X: Sequence[str]) -> pa.Array:
        """The text the n-grams are taken from: the posts as written (``raw_text``, the
        baseline's input: on the complaint corpus normalising cost 0.004 macro-F1 over five
        splits), or normalised by the rules of :class:`PostVectorizer` (models saved before
        ``raw_text`` existed)."""
        if not getattr(self, "raw_text", False):
            return PostVectorizer.normalise(X)
        if isinstance(X, pa.Array | pa.ChunkedArray):
            return pc.fill_null(X.cast(pa.large_string()), "")
        return pa.array(["" if t is None else str(t) for t in X], type=pa.large_string())

    def transform_normalised(self, normalised: pa.Array | Sequence[str]) -> sp.csr_matrix:
        """Feature matrix of already normalised posts."""
        check_is_fitted(self, "word_")
        if isinstance(normalised, pa.Array | pa.ChunkedArray):
            normalised = normalised.to_pylist()
        texts = [str(t) for t in normalised]
        return sp.hstack([self.word_.transform(texts), self.char_.transform(texts)], format="csr")
