"""Run every benchmark (`make bench`): each prints its own figures. Benchmarks are run on purpose,
never as tests."""
import subprocess
import sys

BENCHMARKS = ("bench.scoring", "bench.awards", "bench.signin", "bench.spreadsheets")


def main() -> int:
    failed = []
    for module in BENCHMARKS:
        print(f"== {module}", flush=True)
        if subprocess.call([sys.executable, "-m", module]) != 0:
            failed.append(module)
    if failed:
        print("failed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
