#!/usr/bin/env python3
"""The module graph, checked two ways.

  modules.py graph SRC        README's module graph is what meson declares
  modules.py boundaries SRC BUILD
                              with the compile flags the build really uses,
                              a module compiles its own headers and the
                              public headers of the modules it uses, and
                              finds no other header of any module

What a module uses is its `<module>_uses = [...]` list in meson (main's is
`main_uses`); a `<m>_dep` or `<m>_iface_dep` there means module m.
"""
import glob
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile

USES = re.compile(r'^(\w+)_uses\s*=\s*\[([^\]]*)\]', re.M)
DEP = re.compile(r'\b(\w+?)(?:_iface)?_dep\b')
EDGE = re.compile(r'^\s*(\w+)\s*-->\s*(\w+)\s*$')


def declared(src):
    """{module: set of modules it uses} from the meson files."""
    graph = {}
    for path in [os.path.join(src, 'meson.build')] + glob.glob(os.path.join(src, '*', 'meson.build')):
        with open(path) as f:
            for name, items in USES.findall(f.read()):
                graph[name] = set(DEP.findall(items))
    return graph


def drawn(src):
    """{module: set of modules it uses} from the mermaid graph in README's Layout."""
    with open(os.path.join(src, 'README.md')) as f:
        text = f.read()
    layout = text.split('\n## Layout', 1)
    if len(layout) < 2 or '```mermaid' not in layout[1]:
        sys.exit('README.md: no mermaid graph under ## Layout')
    block = layout[1].split('```mermaid', 1)[1].split('```', 1)[0]
    graph = {}
    for line in block.splitlines():
        m = EDGE.match(line)
        if m:
            graph.setdefault(m.group(1), set()).add(m.group(2))
    return graph


def check_graph(src):
    meson, readme = declared(src), drawn(src)
    bad = []
    for mod in sorted(set(meson) | set(readme)):
        if mod not in meson:
            bad.append(f'{mod}: in README, not a module in meson')
            continue
        extra = readme.get(mod, set()) - meson[mod]
        missing = meson[mod] - readme.get(mod, set())
        for m in sorted(missing):
            bad.append(f'{mod} --> {m}: declared in meson, missing from README')
        for m in sorted(extra):
            bad.append(f'{mod} --> {m}: in README, not declared in meson')
    for line in bad:
        print(line)
    if not meson:
        sys.exit('no <module>_uses lists found in the meson files')
    return 1 if bad else 0


def headers(src, mod):
    """(public, private) header names of a module."""
    pub = sorted(os.path.basename(h) for h in glob.glob(os.path.join(src, mod, 'include', '*.h')))
    priv = sorted(os.path.basename(h) for h in glob.glob(os.path.join(src, mod, '*.h')))
    return pub, priv


def flags(entry):
    """The compile command of entry without its source, output and depfile."""
    argv = shlex.split(entry['command'])
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a in ('-o', '-c', '-MQ', '-MF', '-MT'):
            skip = True
        elif a in ('-MD', '-MMD') or a.startswith('-fdiagnostics-color'):
            pass
        else:
            out.append(a)
    return out


def check_boundaries(src, build):
    graph = declared(src)
    if not graph:
        sys.exit('no <module>_uses lists found in the meson files')
    with open(os.path.join(build, 'compile_commands.json')) as f:
        commands = json.load(f)
    src = os.path.realpath(src)
    # One compile command per module (its include set), and all of a
    # module's files must agree on it.
    per_module = {}
    bad = []
    for e in commands:
        path = os.path.realpath(os.path.join(e['directory'], e['file']))
        rel = os.path.relpath(path, src)
        mod = rel.split(os.sep)[0]
        if mod not in graph:
            continue
        cmd = flags(e)
        # Leaving out each target's own private directory (-Ik1s.p): meson
        # gives every program one, for what it generates.
        incs = [a for a in cmd if a.startswith('-I') and not a.endswith('.p')]
        if mod in per_module and per_module[mod][1] != incs:
            bad.append(f'{rel}: include set differs from the rest of {mod}')
        per_module.setdefault(mod, (e['directory'], incs, cmd))
    for mod in graph:
        if mod not in per_module:
            bad.append(f'{mod}: no compile command in {build}')
    # A quoted include of a path (../dataplane/dp_int.h) would go around
    # the include set.
    for mod in per_module:
        for path in glob.glob(os.path.join(src, mod, '**', '*.[ch]'), recursive=True):
            with open(path, errors='replace') as f:
                for n, line in enumerate(f, 1):
                    if re.match(r'\s*#\s*include\s*"[^"]*/', line):
                        bad.append(f'{os.path.relpath(path, src)}:{n}: includes by path: {line.strip()}')
    modules = [m for m in graph if m != 'main']
    with tempfile.TemporaryDirectory() as tmp:
        probe = os.path.join(tmp, 'probe.c')
        for mod, (cwd, _, cmd) in sorted(per_module.items()):
            uses = graph[mod]
            for other in modules:
                pub, priv = headers(src, other)
                for h in pub + priv:
                    own = other == mod
                    want = own or (other in uses and h in pub)
                    if want:
                        with open(probe, 'w') as f:
                            f.write(f'#include "{h}"\n')
                        r = subprocess.run(cmd + ['-fsyntax-only', probe], cwd=cwd,
                                           capture_output=True, text=True)
                        if r.returncode != 0:
                            bad.append(f'{mod}: cannot compile {other}/{h}:\n{r.stderr}')
                        continue
                    with open(probe, 'w') as f:
                        f.write(f'#if __has_include("{h}")\n#error found\n#endif\n')
                    r = subprocess.run(cmd + ['-E', '-o', os.devnull, probe], cwd=cwd,
                                       capture_output=True, text=True)
                    if 'error: #error found' in r.stderr:
                        bad.append(f'{mod}: can include {other}/{h}, which it does not use')
                    elif r.returncode != 0:
                        bad.append(f'{mod}: {other}/{h}: unexpected error:\n{r.stderr}')
    for line in bad:
        print(line)
    print(f'{len(per_module)} modules checked against {len(modules)} modules\' headers')
    return 1 if bad else 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == 'graph':
        return check_graph(sys.argv[2])
    if len(sys.argv) == 4 and sys.argv[1] == 'boundaries':
        return check_boundaries(sys.argv[2], sys.argv[3])
    sys.exit(__doc__)


if __name__ == '__main__':
    sys.exit(main())
