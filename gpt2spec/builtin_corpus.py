"""Text to train tokenizers on, without downloading anything.

``builtin_corpus(n_chars)`` is deterministic for a given Python version: a passage this project
wrote (contractions, numbers, German, CJK, emoji, code, odd whitespace), the Zen of Python, then
the triple-quoted strings (docstrings, mostly) of the standard library's own source files, read
in sorted order. Every Python installation has them, and they ship under the PSF license.

For more text, with internet access::

    python -m gpt2spec.builtin_corpus --download tiny-shakespeare       # -> data/tiny-shakespeare.txt
    python -m gpt2spec.builtin_corpus --stats                           # what the built-in corpus holds

The spec never downloads: it uses ``builtin_corpus`` only.
"""

from __future__ import annotations

import argparse
import ast
import codecs
import importlib.util
import sysconfig
import urllib.request
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import regex

# Written for this project (MIT, like the rest of it): every kind of text the GPT-2 regex treats
# specially appears at least once, so a tokenizer trained on the corpus has met all of them.
PROJECT_TEXT = """\
The tokenizer's job isn't glamorous: it turns text into integers, and it'll do so 50,257 ways.
We've tested it on "quotes", (parentheses), [brackets], {braces} and e-mail@example.org; you'd be
surprised what breaks. Numbers: 0, 7, 42, 1024, 3.14159, 2026-11-24, 1e-5, 0xFF, 100%, $19.99.
I'm sure they're fine.   Three spaces before this sentence, a tab\tbefore this word, and a
Windows line ending here:\r\nthen two blank lines


and trailing spaces on this line.   \nGerman: Größe, Straße, Übermäßig schöne Bücher; "Grüß Gott!"
French: déjà vu, naïve, cœur, garçon. Japanese: 日本語のテキストです。 Chinese: 你好，世界。
Korean: 안녕하세요. Emoji: 🙂 🚀 👍🏽 🇩🇪 👨‍👩‍👧. Combining marks: e\u0301 a\u0308 n\u0303.
def encode(self, text: str) -> list[int]:
    return [self.ranks[b] for b in text.encode("utf-8")]  # bytes, then merges
<|endoftext|>A second document starts after the special token. It ends here.
"""

STDLIB = Path(sysconfig.get_paths()["stdlib"])
_TRIPLE_QUOTED = regex.compile(r'"""(.*?)"""', regex.DOTALL)

DOWNLOADS = {
    "tiny-shakespeare": "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
}


def zen_of_python() -> str:
    """PEP 20, read from the ``this`` module's source (importing ``this`` would print it)."""
    spec = importlib.util.find_spec("this")
    assert spec is not None and spec.origin is not None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "s":
            return codecs.decode(ast.literal_eval(node.value), "rot13")
    raise RuntimeError("the 'this' module has no string 's'")


def _stdlib_strings() -> Iterator[str]:
    for path in sorted(STDLIB.glob("*.py")):
        source = path.read_text(encoding="utf-8", errors="replace")
        yield from (s.strip() + "\n" for s in _TRIPLE_QUOTED.findall(source) if s.strip())


@cache
def builtin_corpus(n_chars: int = 200_000) -> str:
    """The first ``n_chars`` characters of the built-in corpus (at most about 1.2 MB exist)."""
    parts = [PROJECT_TEXT, zen_of_python() + "\n"]
    size = sum(map(len, parts))
    for text in _stdlib_strings():
        if size >= n_chars:
            break
        parts.append(text)
        size += len(text)
    return "".join(parts)[:n_chars]


def download(name: str, out_dir: Path) -> Path:
    """Fetch a public corpus (needs internet; never used by the tests)."""
    out = out_dir / f"{name}.txt"
    out_dir.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(DOWNLOADS[name], timeout=60) as response:
        out.write_bytes(response.read())
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gpt2spec.builtin_corpus", description=__doc__.splitlines()[0])
    parser.add_argument("--download", choices=sorted(DOWNLOADS), help="fetch a larger public corpus")
    parser.add_argument("--out", type=Path, default=Path("data"), help="where --download writes (default: data/)")
    parser.add_argument("--stats", action="store_true", help="print the size of the built-in corpus")
    parser.add_argument("--write", type=Path, metavar="FILE", help="write the built-in corpus to FILE")
    parser.add_argument("--chars", type=int, default=200_000, help="built-in corpus size for --stats/--write")
    args = parser.parse_args(argv)
    if args.download:
        print(f"wrote {download(args.download, args.out)}")
    if args.stats or args.write:
        text = builtin_corpus(args.chars)
        if args.write:
            args.write.write_text(text, encoding="utf-8")
        print(f"built-in corpus: {len(text):,} characters, {len(text.encode()):,} bytes, from {STDLIB}")
    if not (args.download or args.stats or args.write):
        parser.print_help()


if __name__ == "__main__":
    main()
