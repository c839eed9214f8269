"""``python -m mnist_data info|verify|download``: MNIST housekeeping for TAs.

- info: where the files are looked for, which are there, and the cache state.
- verify: full check of each file (size, SHA-256, gzip, IDX header, counts).
- download: fetch the files that are missing.

Exit status: 0 fine, 1 a file failed verification, 2 usage error / cannot
proceed (one line on stderr, never a traceback).
"""
import argparse
import sys

from . import cache, dataset
from .errors import DamagedFileError, MNISTError
from .files import LABEL_COUNTS, MNIST_FILES, read_verified, resolve_data_dir

PROG = "python -m mnist_data"


def _info(args):
    folder, origin = resolve_data_dir(args.data_dir)
    state = "" if folder.is_dir() else "  [does not exist]"
    print(f"data folder:  {folder} ({origin}){state}")
    digests = {}
    for spec in MNIST_FILES:
        path = folder / spec.name
        if not path.is_file():
            print(f"  missing  {spec.name}")
            continue
        try:
            _, digests[spec.key] = read_verified(path, spec)
            status = "checksum ok"
        except DamagedFileError as exc:
            status = f"BAD: {exc.reason}"
        print(f"  present  {spec.name}  {path.stat().st_size:,} bytes  {status}")
    for i, (cache_dir, cache_origin) in enumerate(cache.candidate_dirs()):
        label = "cache folder:" if i == 0 else "  fallback:  "
        state = "" if cache_dir.is_dir() else "  [not created yet]"
        print(f"{label} {cache_dir} ({cache_origin}){state}")
    for spec in MNIST_FILES:
        if spec.key not in digests:
            status = "not cached (source missing or bad)"
        else:
            _, where = cache.find(spec, digests[spec.key])
            status = f"cached in {where}" if where else "not cached yet (built on next load)"
        print(f"  {spec.name}  {status}")
    return 0


def _verify(args):
    folder, origin = resolve_data_dir(args.data_dir)
    if not folder.is_dir():
        raise MNISTError(f"data folder {folder} ({origin}) does not exist; set MNIST_DATA_DIR or pass --data-dir")
    failed = 0
    for spec in MNIST_FILES:
        try:
            _, summary = dataset.verify_file(folder / spec.name, spec, LABEL_COUNTS.get(spec.key))
            print(f"ok    {spec.name}: {summary}")
        except DamagedFileError as exc:
            failed += 1
            print(f"FAIL  {spec.name}: {exc.reason}")
    if failed:
        print(
            f"{PROG} verify: {failed} of {len(MNIST_FILES)} files failed in {folder}; delete the bad ones and run "
            f"`{PROG} download`, or point MNIST_DATA_DIR at good copies",
            file=sys.stderr,
        )
        return 1
    print(f"all {len(MNIST_FILES)} files ok in {folder}")
    return 0


def _download(args):
    folder, origin = resolve_data_dir(args.data_dir)
    was_missing = {s.key for s in MNIST_FILES if not (folder / s.name).is_file()}
    dataset.ensure_present(folder, origin, MNIST_FILES, progress=None if args.progress else False)
    failed = 0
    for spec in MNIST_FILES:
        if spec.key in was_missing:
            print(f"downloaded  {spec.name}")
            continue
        try:
            read_verified(folder / spec.name, spec)
            print(f"present     {spec.name}")
        except DamagedFileError as exc:
            failed += 1
            print(f"BAD         {spec.name}: {exc.reason}")
    if failed:
        print(f"{PROG} download: {failed} existing file(s) in {folder} are bad; delete them and run it again",
              file=sys.stderr)
        return 1
    return 0


def build_parser():
    parser = argparse.ArgumentParser(prog=PROG, description="Check and fetch the MNIST files used by load_mnist.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", metavar="DIR", help="folder with the .gz files (default: $MNIST_DATA_DIR, "
                        "else mnist_data/cache/)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("info", parents=[common], help="show where files are looked for and the cache state"
                   ).set_defaults(run=_info)
    sub.add_parser("verify", parents=[common], help="check every file; exit 1 if one is bad"
                   ).set_defaults(run=_verify)
    p = sub.add_parser("download", parents=[common], help="fetch missing files")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="hide the progress bar")
    p.set_defaults(run=_download)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except MNISTError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`... | head`): nothing left to say
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
