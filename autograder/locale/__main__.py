"""``python -m autograder.locale update|compile``: keep the catalogs in step (see __init__)."""
import sys

from autograder.locale import catalogs


def main(argv: list[str]) -> int:
    if argv not in (["update"], ["compile"]):
        print("usage: python -m autograder.locale update|compile", file=sys.stderr)
        return 2
    if argv == ["compile"]:
        catalogs.compile_all()
        return 0
    for lang, ids in catalogs.update().items():
        print(f"{lang}: {len(ids)} untranslated" + "".join(f"\n  {i!r}" for i in ids[:20])
              + ("\n  ..." if len(ids) > 20 else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
