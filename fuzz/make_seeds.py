#!/usr/bin/env python3
"""fuzz/make_seeds.py: writes the seed corpora fuzz/corpus/<target>/.

The seeds are small valid (and a few nearly valid) inputs in each target's
layout (fuzz/harness.h); run from anywhere: python3 fuzz/make_seeds.py.
Existing seeds of the same name are overwritten; others are left alone."""
import gzip
import os
import random
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


rng = random.Random(1)

# experiment: the good files, the shipped experiments, a few bad ones.
for sub, names in [("tests/data/good", None), ("experiments", None), ("tests/data/e2e", ["tiny.yaml"]),
                   ("tests/data/bad", ["alias-bomb.yaml", "merge-key-scalar.yaml", "quick-overrides-name.yaml",
                                       "recursive-alias.yaml", "figure-bad-series.yaml",
                                       "wrong-type-nested-sweep.yaml"])]:
    d = os.path.join(ROOT, sub)
    for n in sorted(os.listdir(d)):
        if n.endswith(".yaml") and (names is None or n in names):
            put("experiment", n, open(os.path.join(d, n), "rb").read())

# csv_table
d = os.path.join(ROOT, "tests/data/csv")
for n in sorted(os.listdir(d)):
    put("csv_table", n, open(os.path.join(d, n), "rb").read())
put("csv_table", "quoted.csv", 'a,"b ""q""","c\nd"\n1,"2,5",3\r\n4,5,6\r')
put("csv_table", "bom.csv", b"\xef\xbb\xbfx,y\n1,2\n\n  \n3,4")
put("csv_table", "one-col.csv", 'x\n""\n1\n')

# csv_dataset: option byte, train [\f test]
train = "a,b,y\n" + "".join(f"{rng.gauss(0,1):.3f},{rng.gauss(0,1):.3f},{rng.randrange(3)}\n" for _ in range(6))
test = "a,b,y\n1,2,0\n-1,0.5,2\n"
put("csv_dataset", "square", b"\x00" + train.encode())
put("csv_dataset", "square-test", b"\x20" + train.encode() + b"\f" + test.encode())
put("csv_dataset", "xent-classes", b"\x31" + train.encode() + b"\f" + test.encode())
put("csv_dataset", "target-y", b"\x08" + train.encode())
put("csv_dataset", "target-ab", b"\x0e" + train.encode())
put("csv_dataset", "target-columns", b"\x04" + train.encode())
put("csv_dataset", "nan", b"\x00a,y\n1,nan\n2,3\n")
put("csv_dataset", "dup-rows", b"\x00a,y\n1,2\n1,2\n1,2\n")

# idx: option byte, 2 bytes LE label length, labels, images
labels = struct.pack(">II", 0x801, 60000) + bytes(i % 10 for i in range(60000))
lab_gz = gz(labels)
img_hdr = struct.pack(">IIII", 0x803, 60000, 28, 28)
img_short = gz(img_hdr + bytes(784 * 3))


def idx(opt, lab, img):
    return bytes([opt]) + struct.pack("<H", len(lab)) + lab + img


put("idx", "classify-gz", idx(0x00, lab_gz, img_short))
put("idx", "rotation-gz", idx(0x36, lab_gz, img_short))
put("idx", "autoencode-gz", idx(0x21, lab_gz, img_short))
put("idx", "raw-header", idx(0x00, struct.pack(">II", 0x801, 60000) + bytes(16), img_hdr + bytes(32)))
put("idx", "two-members", idx(0x00, gz(labels[:30000]) + gz(labels[30000:]), img_short))
put("idx", "truncated-gz", idx(0x00, lab_gz[:-9], img_short))

# fann: option byte, .train [\f .test]


def fann(n, di, do, cls=False):
    s = f"{n} {di} {do}\n"
    for _ in range(n):
        s += " ".join(f"{rng.random():.4f}" for _ in range(di)) + "\n"
        if cls:
            k = rng.randrange(do)
            s += " ".join("1" if j == k else "0" for j in range(do)) + "\n"
        else:
            s += " ".join(f"{rng.random():.4f}" for _ in range(do)) + "\n"
    return s.encode()


put("fann", "two-spiral", b"\x00" + fann(4, 2, 1, True))
put("fann", "two-spiral-xent-test", b"\x24" + fann(4, 2, 1, True) + b"\f" + fann(2, 2, 1, True))
put("fann", "abelone", b"\x01" + fann(3, 10, 1))
put("fann", "diabetes", b"\x06" + fann(3, 8, 2, True))
put("fann", "building-test", b"\x33" + fann(3, 14, 3) + b"\f" + fann(2, 14, 3))
put("fann", "abelone-gz", b"\x01" + gz(fann(3, 10, 1)))
put("fann", "commas", b"\x00" + b"2, 2, 1\n0.1, 0.2\n1\n0.3,0.4\n0\n")

# sklearn: option byte, data [\f target]
digits = "".join(",".join(str(rng.randrange(17)) for _ in range(64)) + f",{rng.randrange(10)}\n" for _ in range(16))
put("sklearn", "digits", b"\x00" + digits.encode())
put("sklearn", "digits-gz-ae", b"\x06" + gz(digits.encode()))
put("sklearn", "digits-meta", b"\x08" + b"16,64,10\n" + digits.encode())
dia = "".join(" ".join(f"{rng.gauss(50,10):.2f}" for _ in range(10)) + "\n" for _ in range(16))
tgt = "".join(f"{rng.randrange(25,346)}.0\n" for _ in range(16))
put("sklearn", "diabetes", b"\x01" + dia.encode() + b"\f" + tgt.encode())
dia_gz = gz(dia.encode())
while b"\f" in dia_gz:  # the form feed splits the input: redraw until it is absent
    dia = "".join(" ".join(f"{rng.gauss(50,10):.2f}" for _ in range(10)) + "\n" for _ in range(16))
    dia_gz = gz(dia.encode())
put("sklearn", "diabetes-std-gz", b"\x03" + dia_gz + b"\f" + gz(tgt.encode()))
