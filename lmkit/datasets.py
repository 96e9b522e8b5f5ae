"""The course's data sets: pinned URLs with sha256 and a verified download cache.

Every data set is a byte-for-byte copy of a file at a pinned public URL. :func:`fetch` finds each
file in this order:

1. ``$LMKIT_DATA/<dataset>/<file>``, an offline copy (checked, never modified);
2. the user cache ``$LMKIT_CACHE``, else ``$XDG_CACHE_HOME/lmkit``, else ``~/.cache/lmkit``;
3. a download from the pinned URL, checked against its sha256 and written atomically.

Used from chapters/part1/history on; the data sets are listed in the README. The loaders of the
Part V data sets (:func:`load_polarity`, :func:`load_translation_pairs`, :func:`load_cnn_dailymail`)
return them as published, in file order: splitting is the chapter's business. Batching is in
:mod:`lmkit.data`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tqdm.auto import tqdm

from . import _validate as _v

__all__ = [
    "DATASETS",
    "DataFile",
    "Dataset",
    "DownloadError",
    "cache_dir",
    "download",
    "fetch",
    "load_cnn_dailymail",
    "load_polarity",
    "load_text",
    "load_translation_pairs",
]


@dataclass(frozen=True)
class DataFile:
    """One file of a data set: its published name, pinned URL, sha256 and size in bytes."""

    name: str
    url: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Dataset:
    """A data set of the course: its files, what it is, its licence, citation and homepage."""

    name: str
    files: tuple[DataFile, ...]
    description: str
    licence: str
    citation: str
    homepage: str


_CA8 = (
    "https://raw.githubusercontent.com/Embedding/Chinese-Word-Vectors/"
    "3096a475f79f218dde7b413dcc6b507d302b7f46"
)

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in [
        Dataset(
            name="tinyshakespeare",
            files=(
                DataFile(
                    "input.txt",
                    "https://raw.githubusercontent.com/karpathy/char-rnn/"
                    "6f9487a6fe5b420b7ca9afb0d7c078e37c1d1b4e/data/tinyshakespeare/input.txt",
                    "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
                    1_115_394,
                ),
            ),
            description="40,000 lines of Shakespeare, ASCII; 65 distinct characters",
            licence="text public domain; prepared by A. Karpathy (char-rnn, MIT)",
            citation="Karpathy, A. (2015). char-rnn: Multi-layer Recurrent Neural Networks for "
            "character-level language models. https://github.com/karpathy/char-rnn",
            homepage="https://github.com/karpathy/char-rnn",
        ),
        Dataset(
            name="rt-polarity",
            files=(
                DataFile(
                    "rt-polarity.pos",
                    "https://raw.githubusercontent.com/dennybritz/cnn-text-classification-tf/"
                    "18762b459e21d9c70e5c242f8d43fc4e6db37a0d/data/rt-polaritydata/rt-polarity.pos",
                    "4134882974a28d0c7b5151256f0e33a6169984ee7372c279e673f1114f475d58",
                    626_395,
                ),
                DataFile(
                    "rt-polarity.neg",
                    "https://raw.githubusercontent.com/dennybritz/cnn-text-classification-tf/"
                    "18762b459e21d9c70e5c242f8d43fc4e6db37a0d/data/rt-polaritydata/rt-polarity.neg",
                    "2d11cfbc790f1cd96d78339f41ce53ced1efa83cd22d37d6788fa3fe3d17e2fd",
                    612_506,
                ),
            ),
            description="5,331 positive and 5,331 negative movie-review sentences (lower-cased, tokenized)",
            licence="Pang & Lee (2005) sentence polarity v1.0, Cornell; research use",
            citation="Pang, B. and Lee, L. (2005). Seeing stars: Exploiting class relationships for "
            "sentiment categorization with respect to rating scales. Proceedings of ACL 2005.",
            homepage="https://www.cs.cornell.edu/people/pabo/movie-review-data/",
        ),
        Dataset(
            name="tatoeba-cmn-eng",
            files=(
                DataFile(
                    "cmn.txt",
                    "https://raw.githubusercontent.com/pjgao/seq2seq_keras/"
                    "345f3ad6aa03988aa5deb9e5252de4f0c59cc0a2/data/cmn.txt",
                    "74bd3c04dfe0ec75aaaf165597b2a83c6a733d34f46b184fc21ca6b552c268d3",
                    1_259_882,
                ),
            ),
            description="20,133 English<TAB>Chinese sentence pairs (mixed simplified/traditional)",
            licence="Tatoeba, CC-BY 2.0 FR: credit tatoeba.org and its contributors",
            citation="Tatoeba: a collection of sentences and translations, https://tatoeba.org, "
            "and its contributors (CC-BY 2.0 FR).",
            homepage="https://tatoeba.org",
        ),
        Dataset(
            name="cnn-dailymail-sample",
            files=(
                DataFile(
                    "train_sample.zip",
                    "https://raw.githubusercontent.com/EileenFeng/Text-Summarization-NLP/"
                    "5bfee8b9ad6228e1c4d02f7be1042a4276632417/data/train_sample.zip",
                    "469ddab9a81e8f84b201533271e145e367ff979e17bb740bc0ef939307323dee",
                    171_155,
                ),
            ),
            description="zip of train_sample.csv: 100 CNN/DailyMail article/highlights pairs "
            "(columns index,id,article,highlights)",
            licence="CNN/DailyMail (Hermann et al. 2015; See et al. 2017); articles (c) their publishers; "
            "research use",
            citation="Hermann, K. M. et al. (2015). Teaching Machines to Read and Comprehend. NeurIPS 2015. "
            "See, A., Liu, P. J. and Manning, C. D. (2017). Get To The Point: Summarization with "
            "Pointer-Generator Networks. ACL 2017.",
            homepage="https://github.com/abisee/cnn-dailymail",
        ),
        Dataset(
            name="CA8",
            files=(
                DataFile(
                    "semantic.txt",
                    f"{_CA8}/testsets/CA8/semantic.txt",
                    "aed64568e6350ce08f7b9e4af2bd8aadd7ff0498b812cd94c660638ed8ad1f4a",
                    265_603,
                ),
                DataFile(
                    "morphological.txt",
                    f"{_CA8}/testsets/CA8/morphological.txt",
                    "ed47740c28d5ce052f205e7ffff8e28dfefe451fcd39867bbe98ef710cc6bf4f",
                    341_904,
                ),
                DataFile(
                    "ca_translated.txt",
                    f"{_CA8}/testsets/CA_translated/ca_translated.txt",
                    "94919a535ed2e0682e6ad12f7508b2aac9b11d0fa048999ec85b9723c0f0aef5",
                    31_539,
                ),
            ),
            description="Chinese word-analogy questions (questions-words format): semantic and "
            "morphological analogies, and the English analogy set translated to Chinese",
            licence="Li et al. (2018), Apache-2.0",
            citation="Li, S., Zhao, Z., Hu, R., Li, W., Liu, T. and Du, X. (2018). Analogical Reasoning "
            "on Chinese Morphological and Semantic Relations. ACL 2018.",
            homepage="https://github.com/Embedding/Chinese-Word-Vectors",
        ),
    ]
}


class DownloadError(RuntimeError):
    """A file could not be downloaded, or what arrived does not match its pinned sha256."""


# ----------------------------------------------------------------------------------------------
# Finding, downloading and checking files


def cache_dir() -> Path:
    """The user cache folder: ``$LMKIT_CACHE``, else ``$XDG_CACHE_HOME/lmkit``, else ``~/.cache/lmkit``."""
    if os.environ.get("LMKIT_CACHE"):
        return Path(os.environ["LMKIT_CACHE"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "lmkit"
    return Path.home() / ".cache" / "lmkit"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _where_to_put_it(dest: Path) -> str:
    """The advice every download error ends with."""
    return (
        f"Check your network connection; or download the file by hand and save it as {dest}; "
        f"or set LMKIT_DATA to a folder that holds {dest.parent.name}/{dest.name}."
    )


def download(url: str, dest: Path, sha256: str, *, timeout: float = 30, progress: bool = True,
             retries: int = 2) -> Path:
    """Download ``url`` to ``dest``, check its sha256, and return ``dest``.

    The bytes go to a temporary file in ``dest``'s folder, which replaces ``dest`` (``os.replace``)
    only when the whole file has arrived and its sha256 matches: on any failure nothing is left
    behind, and two processes fetching the same file at once each write their own temporary file,
    so ``dest`` is always one complete, verified copy. A dropped connection, a timeout or a server
    error (HTTP 5xx, 429) is retried up to ``retries`` more times, after 1 s, 2 s, ...; what still
    fails, and a hash mismatch, raises :class:`DownloadError` naming the file, the URL and what to do.
    ``timeout`` is the longest wait, in seconds, for the connection or for the next bytes."""
    _v.download_args("download", sha256, timeout, retries)
    dest, sha256 = Path(dest), sha256.lower()
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            for attempt in range(retries + 1):
                try:
                    h = _fetch_into(url, out, dest.name, timeout=timeout, progress=progress)
                    break
                except _Transient as e:
                    if attempt == retries:
                        tries = f" (after {retries + 1} attempts)" if retries else ""
                        raise DownloadError(f"Could not download {dest.name} from {url}: {e}{tries}. "
                                            + _where_to_put_it(dest)) from e.__cause__
                    time.sleep(2 ** attempt)
                except urllib.error.HTTPError as e:
                    raise DownloadError(
                        f"Could not download {dest.name} from {url}: HTTP {e.code} {e.reason}. "
                        + _where_to_put_it(dest)
                    ) from e
        got = h.hexdigest()
        if got != sha256:
            raise DownloadError(
                f"Downloaded {dest.name} from {url}, but its sha256 is {got}, expected {sha256}: "
                "the download is corrupt or the file has changed, and it was not kept. Try again. "
                + _where_to_put_it(dest)
            )
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return dest


class _Transient(Exception):
    """A failure worth retrying: a dropped connection, a timeout, a server error."""


def _fetch_into(url: str, out, name: str, *, timeout: float, progress: bool):
    """One attempt: write the response body to ``out`` from its start; return its sha256 object."""
    out.seek(0)
    out.truncate()
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            got = 0
            with tqdm(total=total, unit="B", unit_scale=True, desc=name, disable=not progress) as bar:
                while block := response.read(1 << 16):
                    out.write(block)
                    h.update(block)
                    got += len(block)
                    bar.update(len(block))
            if total is not None and got < total:  # the server hung up early
                raise _Transient(f"the connection was closed after {got:,} of {total:,} bytes")
    except urllib.error.HTTPError as e:
        if e.code >= 500 or e.code == 429:
            raise _Transient(f"HTTP {e.code} {e.reason}") from e
        raise
    except http.client.IncompleteRead as e:
        raise _Transient(f"the connection was closed after {len(e.partial):,} of the expected bytes "
                         f"({e.expected:,} more were due)") from e
    except (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError, OSError) as e:
        reason = getattr(e, "reason", None) or e
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            reason = f"timed out: no data for {timeout:g} s"
        raise _Transient(str(reason)) from e
    return h


def _check_offline_copy(path: Path, f: DataFile) -> None:
    """Raise if a file under LMKIT_DATA is not the pinned one (the user's file is left alone)."""
    size = path.stat().st_size
    got = _sha256(path) if size == f.size else None
    if size != f.size or got != f.sha256:
        found = f"{size:,} bytes" if size != f.size else f"sha256 {got}"
        raise ValueError(
            f"The offline copy {path} (from LMKIT_DATA) is corrupt: it has {found}, expected "
            f"{f.size:,} bytes with sha256 {f.sha256}. Replace it with a fresh copy of {f.url}, "
            "or unset LMKIT_DATA to download it."
        )


def fetch(name: str, *, progress: bool = True) -> dict[str, Path]:
    """Find or download every file of data set ``name``; return ``{file name: local path}``.

    Looks in ``$LMKIT_DATA/<name>/`` first, then in the cache (:func:`cache_dir`), and downloads
    what is missing from the pinned URL, with a progress bar unless ``progress=False``.
    Every file is checked against its sha256; a corrupt cached file is downloaded again."""
    _v.one_of("fetch", "name", name, list(DATASETS))
    dataset = DATASETS[name]
    offline = os.environ.get("LMKIT_DATA")
    paths: dict[str, Path] = {}
    for f in dataset.files:
        if offline:
            path = Path(offline).expanduser().resolve() / dataset.name / f.name
            if path.is_file():
                _check_offline_copy(path, f)
                paths[f.name] = path
                continue
        path = cache_dir() / dataset.name / f.name
        if path.is_file():
            if _sha256(path) == f.sha256:
                paths[f.name] = path
                continue
            path.unlink()  # a damaged cache entry: fetch it again
        paths[f.name] = download(f.url, path, f.sha256, progress=progress)
    return paths


def load_text(name: str = "tinyshakespeare", *, progress: bool = True) -> str:
    """The text of a data set that is a single text file (Tiny Shakespeare by default)."""
    _v.text_dataset("load_text", name, DATASETS)
    (path,) = fetch(name, progress=progress).values()
    return path.read_text(encoding="utf-8")


def load_polarity(*, progress: bool = True) -> tuple[list[str], list[int]]:
    """The sentence-polarity data set (Pang & Lee 2005): 10,662 sentences and their labels, 1 positive
    and 0 negative, the 5,331 positive ones first, in file order (lower-cased and tokenized as published).
    Taught in chapters/part5/sentiment."""
    paths = fetch("rt-polarity", progress=progress)
    texts: list[str] = []
    labels: list[int] = []
    for name, label in (("rt-polarity.pos", 1), ("rt-polarity.neg", 0)):
        lines = paths[name].read_text(encoding="utf-8").splitlines()
        texts += [line.strip() for line in lines if line.strip()]
        labels += [label] * sum(1 for line in lines if line.strip())
    return texts, labels


def load_translation_pairs(*, progress: bool = True) -> list[tuple[str, str]]:
    """The Tatoeba English-Chinese pairs: 20,133 ``(english, chinese)`` tuples in file order (the file
    sorts them by length; the Chinese mixes simplified and traditional characters). Taught in
    chapters/part5/machine_translation."""
    (path,) = fetch("tatoeba-cmn-eng", progress=progress).values()
    pairs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        en, zh = line.split("\t")[:2]
        pairs.append((en.strip(), zh.strip()))
    return pairs


def load_cnn_dailymail(*, progress: bool = True) -> list[dict[str, str]]:
    """The 100 CNN/DailyMail articles of the sample, each ``{"id", "article", "highlights"}``; the
    highlights (the reference summary) hold one sentence per line. Taught in chapters/part5/summarization."""
    (path,) = fetch("cnn-dailymail-sample", progress=progress).values()
    with zipfile.ZipFile(path) as z, z.open("train_sample.csv") as f:
        rows = csv.DictReader(io.TextIOWrapper(f, encoding="utf-8"))
        return [{"id": r["id"], "article": r["article"], "highlights": r["highlights"]} for r in rows]
