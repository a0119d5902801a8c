"""Prints a prefix of a file: the truncated model files of the corpus.

  truncate.py FILE --lines N      the first N lines
  truncate.py FILE --before TEXT  everything before the first TEXT
  truncate.py FILE --after TEXT   everything up to the end of the first TEXT

In TEXT, \n stands for a line break. Cutting at text rather than at a byte offset keeps the tests readable and
independent of comments added to the examples.
"""
import argparse
import sys

parser = argparse.ArgumentParser()
parser.add_argument('file')
where = parser.add_mutually_exclusive_group(required=True)
where.add_argument('--lines', type=int)
where.add_argument('--before')
where.add_argument('--after')
args = parser.parse_args()

with open(args.file, 'rb') as f:
    data = f.read()
if args.lines is not None:
    cut = sum(len(l) for l in data.splitlines(keepends=True)[:args.lines])
else:
    text = (args.before if args.before is not None else args.after).replace('\\n', '\n')
    text = text.encode()
    cut = data.find(text)
    if cut < 0:
        sys.exit('truncate.py: %r is not in %s' % (text.decode(), args.file))
    if args.after is not None:
        cut += len(text)
sys.stdout.buffer.write(data[:cut])
