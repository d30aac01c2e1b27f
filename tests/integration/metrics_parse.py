"""Reads a /metrics page with Prometheus's own Python parser (Debian's
python3-prometheus-client), which refuses what the text format 0.0.4
does not allow, and prints each sample as NAME{k="v",...} VALUE with the
labels sorted, then each family as "# FAMILY NAME TYPE"; exits 1 with the
parser's error on a page it cannot read.

  metrics_parse.py FILE
"""
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    with open(sys.argv[1], encoding='utf-8') as f:
        text = f.read()
    try:
        families = list(text_string_to_metric_families(text))
    except Exception as e:  # the parser raises ValueError and others
        print('the page does not parse: %r' % e, file=sys.stderr)
        return 1
    names = [f.name for f in families]
    if len(names) != len(set(names)):
        print('a family in more than one group: %s' % names, file=sys.stderr)
        return 1
    for fam in families:
        print('# FAMILY %s %s' % (fam.name, fam.type))
        for s in fam.samples:
            labels = ','.join('%s="%s"' % (k, v) for k, v in sorted(s.labels.items()))
            print('%s{%s} %r' % (s.name, labels, s.value))
    return 0


if __name__ == '__main__':
    sys.exit(main())
