#!/usr/bin/python3
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""bench_peer.py -- `make bench-peer`: libcpae's training step against the
PyTorch peer (../shared/peer, or PEER_DIR), same data, same settings, run
interleaved (libcpae, peer, libcpae, peer, ...), best of 3 each, and a
Markdown table of ms per step and the speed-up (peer ms / libcpae ms).

  make bench-peer [THREADS=1] [STEPS=N] [PEER_DIR=DIR]
  /usr/bin/python3 test/bench_peer.py      (after make build/bench_step)

Environment: PEER_DIR (default ../shared/peer beside this checkout, or
beside the main worktree when this is a git worktree); THREADS (1: both
sides single-threaded, OPENBLAS_NUM_THREADS / OMP_NUM_THREADS and the
peer's --threads); STEPS (caps every row's timed steps; warm-up steps
become at most max(2, STEPS)); BENCH_PRECISION (libcpae's CPAE_P_PRECISION,
32 or 64; default the library's); PEER_PYTHON (default /usr/bin/python3); BENCH_SLOW=1
(run libcpae's general-G exact row at (b) even when predicted to take
minutes a step). Without the peer, or when PEER_PYTHON cannot import torch,
it says why and exits 0. Raw JSON lines go to build/bench-peer/results.jsonl.

Data: the peer's synth.py, as its README says, into build/bench-peer/:
  synth.py --d 140 --kmax 5  --n-train 640 --n-test 200 --seed 1 --out B140
  synth.py --d 784 --kmax 20 --n-train 640 --n-test 200 --seed 1 --out B784
Sides: libcpae = build/bench_step (test/bench_step.c, public API only);
peer = peerx.py --dtype float32 --jacobian tangent (closed-form per-sample
Jacobians, the same trick as libcpae's tangent engine). Both get the same
argument list: --train --arch --batch 64 --steps --warmup --seed 0
--threads plus the row's flags; each side ignores the flags it has no use
for. Every run is a fresh process; a run slower than 15 s is not repeated.

Settings, peer flag (peer.py default) -> libcpae trainer key
(test/bench_common.h, bench_configure):
  --arch d,...,h          cpae_model_create_mirrored, ReLU hidden units,
                          identity last layer of each stack (as CPAE)
  (nn.Linear init)        --init torch: W, b ~ U(+-1/sqrt(n_in)) redrawn
                          (libcpae's own He-uniform would change which
                          Lie pairs share a region, so the work done)
  --batch 64              CPAE_P_BATCH_SIZE 64 (640 samples: 10 full
                          batches an epoch on both sides)
  --lr 1e-3, Adam         CPAE_P_OPTIMIZER Adam, CPAE_P_LEARNING_RATE 1e-3
                          (betas 0.9/0.999, eps 1e-8 on both sides),
                          CPAE_P_GENERATOR_LR 1 (peer: --lr-g = --lr)
  --seed 0                CPAE_P_SEED 0 (different generators: the draws
                          differ, their distributions do not)
  dae --sigma 0.1         CPAE_P_NOISE_SIGMA 0.1, CPAE_P_NOISE_MASK 0
  hoc --contractive       CPAE_METHOD_CONTRACTIVE, CPAE_P_W_CONTRACTIVE 0.01
    (peerx.py)            (peer: --lambda 0.01)
  hoc --lambda 0.01       CPAE_P_W_CONTRACTIVE 0.01
      --lambda-h 0.01     CPAE_P_W_HIGHER_ORDER 0.01
      --sigma 0.1         CPAE_P_HOC_SIGMA 0.1
      --nc 4              CPAE_P_HOC_COPIES 4
  lie --lambda 1          CPAE_P_W_LIE_LOCAL 1, CPAE_P_LIE_FORM plain
      --sampler ball|facet  CPAE_P_LIE_SAMPLER ball|facet
      --neighbors K       CPAE_P_LIE_NEIGHBOURS K
      --delta 0.1         CPAE_P_LIE_DELTA 0.1 (uniform on the sphere)
      --facet-eps 1e-3    CPAE_P_LIE_FACET_EPS 1e-3
      (skip equal codes)  pairs in one region skipped (always)
  --generators 1 --skew   cpae_lie_create(d, 1, CPAE_LIE_SKEW); without
                          --skew CPAE_LIE_GENERAL; renormalised after
                          every step on both sides
  lie_exact --lambda 1    CPAE_P_W_LIE_EXACT 1
      --theta-max 3       CPAE_P_LIE_THETA_MAX 3
      --grid 33           CPAE_P_LIE_THETA_GRID 33 (the same grid points)
      --anchor 0          CPAE_P_LIE_ANCHOR 0, CPAE_P_LIE_REANCHOR 0
      --expm action       no key: libcpae picks its path from G (skew:
                          eigenbasis; general: its own general path)
      --gn-steps 3        no key: libcpae runs Gauss-Newton with step
                          halving to convergence (at most 60 steps) in
                          the same trust region (one grid cell)
  (none)                  CPAE_P_DIVERGENCE_FACTOR 0 (no early stop)
Not matched exactly: the random draws (shuffles, noise, ball directions,
initial weights and generators) come from each side's own generator; the
facet step is (1 + eps) r in libcpae and (1 + eps) r + 1e-6 in the peer;
Gauss-Newton steps as above; libcpae trains in float64 unless the library
has CPAE_P_PRECISION (the table title says which), the peer in float32.
"""
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
OUT = os.path.join(REPO, 'build', 'bench-peer')
STEP = os.path.join(REPO, 'build', 'bench_step')
PY = os.environ.get('PEER_PYTHON', '/usr/bin/python3')
SHAPES = {'a': ('B140', '140,64,16', 140, 5), 'b': ('B784', '784,256,64,16', 784, 20)}
# (timed steps, warm-up steps) per cost class: the peer's matrix.py, fewer
# at (b) to keep a full run near 10 minutes
CLASSES = {
    'a': dict(fast=(200, 10), mid=(100, 5), slow=(50, 2), exact=(50, 2), gen=(1, 1)),
    'b': dict(fast=(100, 5), mid=(50, 3), slow=(20, 2), exact=(3, 1), gen=(1, 1)),
}
SKEW = ['--skew']
EXACT = ['--method', 'lie_exact', '--expm', 'action', '--theta-max', '3', '--grid', '33',
         '--gn-steps', '3']
# name, flags for both sides, cost class per shape (libcpae, peer)
ROWS = [
    ('AE', ['--method', 'ae'], dict(a=('fast',) * 2, b=('fast',) * 2)),
    ('denoising', ['--method', 'dae'], dict(a=('fast',) * 2, b=('fast',) * 2)),
    ('contractive', ['--method', 'hoc', '--contractive'], dict(a=('fast',) * 2, b=('mid',) * 2)),
    ('higher-order contractive', ['--method', 'hoc'], dict(a=('mid',) * 2, b=('slow',) * 2)),
    ('Lie local, ball, K = 1', ['--method', 'lie', '--sampler', 'ball', '--neighbors', '1'] + SKEW,
     dict(a=('fast',) * 2, b=('mid',) * 2)),
    ('Lie local, ball, K = 4', ['--method', 'lie', '--sampler', 'ball', '--neighbors', '4'] + SKEW,
     dict(a=('mid',) * 2, b=('slow',) * 2)),
    ('Lie local, facet, K = 1', ['--method', 'lie', '--sampler', 'facet', '--neighbors', '1',
                                 '--facet-eps', '1e-3'] + SKEW,
     dict(a=('mid',) * 2, b=('slow',) * 2)),
    ('Lie local, facet, K = 4', ['--method', 'lie', '--sampler', 'facet', '--neighbors', '4',
                                 '--facet-eps', '1e-3'] + SKEW,
     dict(a=('mid',) * 2, b=('slow',) * 2)),
    ('Lie exact, skew G', EXACT + SKEW, dict(a=('exact',) * 2, b=('exact',) * 2)),
    ('Lie exact, general G', EXACT, dict(a=('gen', 'exact'), b=('gen', 'exact'))),
]
REPS = 3
ONCE_SECONDS = 15.0     # a run slower than this is not repeated
PREDICT_LIMIT = 60.0    # s/step above which libcpae's general-G row at (b) is not run


def say(msg):
    print(msg, file=sys.stderr, flush=True)


def skip(why):
    print('bench-peer: skipped: ' + why)
    sys.exit(0)


def find_peer():
    env = os.environ.get('PEER_DIR', '')
    if env:
        return [os.path.abspath(env)]
    cands = [os.path.normpath(os.path.join(REPO, '..', 'shared', 'peer'))]
    try:  # a git worktree: also beside the main worktree
        common = subprocess.run(['git', '-C', REPO, 'rev-parse', '--path-format=absolute',
                                 '--git-common-dir'], capture_output=True, text=True,
                                check=True).stdout.strip()
        main = os.path.dirname(common)
        cands.append(os.path.normpath(os.path.join(main, '..', 'shared', 'peer')))
    except (OSError, subprocess.CalledProcessError):
        pass
    return cands


def synth(peer, shape):
    ds, _, d, kmax = SHAPES[shape]
    prefix = os.path.join(OUT, ds)
    if not os.path.exists(prefix + '_TRAIN.tsv'):
        subprocess.run([PY, os.path.join(peer, 'synth.py'), '--d', str(d), '--kmax', str(kmax),
                        '--n-train', '640', '--n-test', '200', '--seed', '1', '--out', prefix],
                       check=True, stdout=subprocess.DEVNULL)
    return prefix


def run(side, peer, prefix, arch, steps, warmup, threads, flags):
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    common = ['--train', prefix + '_TRAIN.tsv', '--arch', arch, '--batch', '64',
              '--steps', str(steps), '--warmup', str(warmup), '--seed', '0',
              '--threads', str(threads)] + flags
    if side == 'libcpae':
        cmd = [STEP] + common + ['--init', 'torch']
        if os.environ.get('BENCH_PRECISION'):
            cmd += ['--precision', os.environ['BENCH_PRECISION']]
    else:
        env['PEER_DIR'] = peer
        cmd = [PY, os.path.join(peer, 'peerx.py'), '--test', prefix + '_TEST.tsv'] + common + \
              ['--dtype', 'float32', '--jacobian', 'tangent']
    t0 = time.time()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    el = time.time() - t0
    lines = [l for l in p.stdout.splitlines() if l.startswith('{')]
    if p.returncode != 0 or not lines:
        say('bench-peer: %s failed (%d): %s\n  %s' % (side, p.returncode, ' '.join(cmd),
                                                      p.stderr.strip()[-800:]))
        return None, el
    r = json.loads(lines[-1])
    r.update(side=side, cmd=' '.join(cmd), run_seconds=round(el, 2))
    return r, el


def fmt(x):
    return '%.3g' % x if x < 10 else '%.0f' % x if x >= 100 else '%.1f' % x


def main():
    peers = find_peer()
    peer = next((p for p in peers if os.path.isfile(os.path.join(p, 'peerx.py'))), None)
    if peer is None:
        skip('no PyTorch peer (peerx.py) at %s; set PEER_DIR' % ' or '.join(peers))
    chk = subprocess.run([PY, '-c', 'import numpy, torch; print(torch.__version__)'],
                         capture_output=True, text=True)
    if chk.returncode != 0:
        err = (chk.stderr.strip().splitlines() or ['?'])[-1]
        skip('%s cannot import torch and numpy (%s); on Debian: apt-get install '
             'python3-torch python3-numpy' % (PY, err))
    torch_version = chk.stdout.strip()
    if not os.access(STEP, os.X_OK):
        sys.exit('bench-peer: %s missing: run make build/bench_step' % STEP)
    threads = int(os.environ.get('THREADS', '1') or 1)
    cap = int(os.environ['STEPS']) if os.environ.get('STEPS') else None
    slow = os.environ.get('BENCH_SLOW') == '1'
    os.makedirs(OUT, exist_ok=True)
    say('bench-peer: peer %s (torch %s), %d thread(s)%s' % (
        peer, torch_version, threads, ', at most %d steps a row' % cap if cap else ''))
    results = open(os.path.join(OUT, 'results.jsonl'), 'w')
    table, notes, crossing, precision, version = [], [], [], None, None
    t_start = time.time()
    for shape in ('a', 'b'):
        prefix = synth(peer, shape)
        arch = SHAPES[shape][1]
        for name, flags, classes in ROWS:
            label = '(%s) %s' % (shape, name)
            plan = {}
            for side, cls in zip(('libcpae', 'peer'), classes[shape]):
                steps, warm = CLASSES[shape][cls]
                if cap:
                    steps, warm = min(steps, cap), min(warm, max(2, cap))
                plan[side] = (steps, warm)
            best = {'libcpae': None, 'peer': None}
            done = {'libcpae': 0, 'peer': 0}
            sides = ['libcpae', 'peer']
            if shape == 'b' and 'lie_exact' in flags and '--skew' not in flags and not slow:
                ra = next((row for row in table if row[0] == '(a) ' + name), None)
                pred = ra[1] * 1e-3 * (784 / 140) ** 3 if ra and ra[1] else None
                if pred is None or pred > PREDICT_LIMIT:
                    sides = ['peer']
                    notes.append('%s: libcpae not run, predicted %s s/step from (a) x '
                                 '(784/140)^3 (BENCH_SLOW=1 runs it).' % (
                                     label, '%.0f' % pred if pred else '?'))
            for rep in range(REPS):
                for side in sides:
                    if rep > 0 and done[side] == 0:
                        continue  # failed or not repeated
                    if rep > 0 and best[side] and best[side]['run_seconds'] > ONCE_SECONDS:
                        continue
                    steps, warm = plan[side]
                    r, el = run(side, peer, prefix, arch, steps, warm, threads, flags)
                    if r is None:
                        done[side] = 0
                        continue
                    done[side] += 1
                    r.update(row=label, rep=rep)
                    results.write(json.dumps(r) + '\n')
                    results.flush()
                    if side == 'libcpae':
                        precision = r.get('precision', precision)
                        version = r.get('version', version)
                    if best[side] is None or r['seconds_per_step'] < best[side]['seconds_per_step']:
                        best[side] = dict(r)
                    say('  %-34s %-7s rep %d: %9.3f ms/step (%d steps, %.0f s)' % (
                        label, side, rep, 1e3 * r['seconds_per_step'], steps, el))
            c = best['libcpae']['seconds_per_step'] * 1e3 if best['libcpae'] else None
            p = best['peer']['seconds_per_step'] * 1e3 if best['peer'] else None
            runs = '/'.join(str(done[s]) for s in ('libcpae', 'peer'))
            table.append((label, c, p, plan['libcpae'][0], plan['peer'][0], runs))
            if 'sampler' in ' '.join(flags) and best['libcpae'] and best['peer']:
                crossing.append('%s %.2f / %.2f' % (
                    label, best['libcpae'].get('crossing_after', float('nan')),
                    best['peer'].get('final_frac_diff_pairs', float('nan'))))
    results.close()

    print('\n### libcpae (%s, %s) against PyTorch %s (float32, closed-form Jacobians), '
          '%d thread%s, ms per step\n' % (version or '?', precision or '?', torch_version,
                                          threads, '' if threads == 1 else 's'))
    print('Interleaved runs, best of %d each; batch 64, Adam, ReLU, one generator; data: the '
          "peer's synth.py shift orbits (640 x 140, 640 x 784). Settings: test/bench_peer.py.\n"
          % REPS)
    print('| row | libcpae ms | PyTorch ms | speed-up (peer/libcpae) | timed steps x runs '
          '(libcpae / peer) |')
    print('|---|---:|---:|---:|---|')
    for label, c, p, sc, sp, runs in table:
        rc, rp = runs.split('/')
        print('| %s | %s | %s | %s | %s |' % (
            label, fmt(c) if c else 'not run', fmt(p) if p else 'not run',
            '%.2f' % (p / c) if c and p else '', '%d x %s / %d x %s' % (sc, rc, sp, rp)))
    print()
    for n in notes:
        print(n)
    if crossing:
        print('Share of Lie local pairs in another region than their sample, i.e. the pair '
              'work done (libcpae: ball draws around every sample after the run; peer: its '
              'last epoch): ' + '; '.join(crossing) + '.')
    print('Total %.0f s.' % (time.time() - t_start))


if __name__ == '__main__':
    main()
