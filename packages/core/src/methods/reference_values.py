"""Float64 reference values for the baseline transform tests.

Each method is written directly from its published formula with NumPy and plain Python
branches, independently of the TypeScript code, and the printed numbers are pasted into the
`*.test.ts` files beside this script. Run with `python3 reference_values.py`.
"""

import itertools
import math

import numpy as np

# Two tasks, two shared tensors (shapes [3] and [2, 2], flattened), three steps.
STEPS = [
    {
        "g": [[[1.0, -2.0, 0.5], [0.3, 0.1, -0.4, 2.0]], [[-0.5, 1.0, 2.0], [1.0, 0.0, 0.5, -1.0]]],
        "losses": [0.7, 1.2],
    },
    {
        "g": [[[0.8, -1.0, 0.2], [0.1, 0.3, -0.2, 1.0]], [[0.4, 0.6, -1.5], [0.5, -0.25, 0.75, 0.5]]],
        "losses": [0.6, 0.9],
    },
    {
        "g": [[[-0.3, 0.5, 1.0], [0.2, -0.6, 0.1, 0.4]], [[1.2, -0.7, 0.3], [-0.4, 0.2, 0.9, -0.1]]],
        "losses": [0.5, 1.0],
    },
]

# Three tasks, one shared tensor of shape [3], for PCGrad rotations and MGDA.
THREE_TASKS = [
    [[1.0, 0.0, 0.5]],
    [[-1.0, 1.0, 0.0]],
    [[0.2, -0.8, 1.0]],
]


def arrays(step):
    return [[np.array(t, dtype=np.float64) for t in task] for task in step["g"]]


def fmt(values):
    return "[" + ", ".join(f"{v:.9g}" for v in np.ravel(values)) + "]"


def show(name, value):
    if isinstance(value, list):
        print(f"  {name}: [" + ", ".join(fmt(v) for v in value) + "]")
    else:
        print(f"  {name}: {fmt(value)}")


def uncertainty(optimizer, lr):
    s = np.zeros(2)
    m = np.zeros(2)
    v = np.zeros(2)
    for t, step in enumerate(STEPS, start=1):
        g = arrays(step)
        L = np.array(step["losses"])
        w = np.exp(-s)
        combined = [w[0] * g[0][j] + w[1] * g[1][j] for j in range(2)]
        grad = 1 - np.exp(-s) * L
        if optimizer == "sgd":
            s = s - lr * grad
        else:
            m = 0.9 * m + 0.1 * grad
            v = 0.999 * v + 0.001 * grad**2
            mhat = m / (1 - 0.9**t)
            vhat = v / (1 - 0.999**t)
            s = s - lr * mhat / (np.sqrt(vhat) + 1e-8)
        print(f" step {t}")
        show("combined", combined)
        show("logVariance", s)


def dwa(temperature, window):
    history = []  # completed window averages
    sums = np.zeros(2)
    count = 0
    for t, step in enumerate(STEPS, start=1):
        g = arrays(step)
        L = np.array(step["losses"])
        if len(history) >= 2:
            r = history[-1] / history[-2]
            e = np.exp(r / temperature)
            w = 2 * e / e.sum()
        else:
            w = np.ones(2)
        combined = [w[0] * g[0][j] + w[1] * g[1][j] for j in range(2)]
        sums += L
        count += 1
        if count == window:
            history.append(sums / window)
            sums = np.zeros(2)
            count = 0
        print(f" step {t}")
        show("weights", w)
        show("combined", combined)


def gradnorm(alpha, lr, tensor):
    w = np.ones(2)
    L0 = None
    for t, step in enumerate(STEPS, start=1):
        g = arrays(step)
        L = np.array(step["losses"])
        if L0 is None:
            L0 = L.copy()
        combined = [w[0] * g[0][j] + w[1] * g[1][j] for j in range(2)]
        norms = np.array([np.linalg.norm(g[k][tensor]) for k in range(2)])
        G = w * norms
        ratio = L / L0
        r = ratio / ratio.mean()
        target = G.mean() * r**alpha
        grad = np.sign(G - target) * norms
        w = np.maximum(w - lr * grad, 0)
        w = 2 * w / w.sum()
        print(f" step {t}")
        show("combined", combined)
        show("weights after", w)


def frank_wolfe(gram, iterations):
    k = len(gram)
    alpha = np.full(k, 1.0 / k)
    for _ in range(iterations):
        ga = gram @ alpha
        t = int(np.argmin(ga))
        a = alpha @ ga
        b = ga[t]
        c = gram[t, t]
        denom = a - 2 * b + c
        gamma = 0.0 if denom <= 0 else min(max((a - b) / denom, 0.0), 1.0)
        e = np.zeros(k)
        e[t] = 1
        alpha = (1 - gamma) * alpha + gamma * e
    return alpha


def exact_min_norm(vectors):
    """Minimum-norm point of the convex hull by enumerating faces (small K only)."""
    k = len(vectors)
    best = None
    for size in range(1, k + 1):
        for face in itertools.combinations(range(k), size):
            V = np.array([vectors[i] for i in face])
            # Minimise ||V' a|| subject to sum a = 1 via the KKT system.
            gram = V @ V.T
            A = np.zeros((size + 1, size + 1))
            A[:size, :size] = 2 * gram
            A[:size, size] = 1
            A[size, :size] = 1
            rhs = np.zeros(size + 1)
            rhs[size] = 1
            try:
                sol = np.linalg.solve(A, rhs)
            except np.linalg.LinAlgError:
                continue
            a = sol[:size]
            if np.any(a < -1e-12):
                continue
            point = a @ V
            if best is None or np.linalg.norm(point) < np.linalg.norm(best[1]) - 1e-15:
                full = np.zeros(k)
                full[list(face)] = a
                best = (full, point)
    return best


def mgda_cases():
    g = arrays(STEPS[0])
    flat = [np.concatenate(task) for task in g]
    gram = np.array([[a @ b for b in flat] for a in flat])
    alpha = frank_wolfe(gram, 20)
    print(" two tasks, scope all")
    show("alpha", alpha)
    show("combined", [alpha[0] * g[0][j] + alpha[1] * g[1][j] for j in range(2)])
    for j in range(2):
        gram_j = np.array([[a[j] @ b[j] for b in g] for a in g])
        show(f"alpha tensor {j}", frank_wolfe(gram_j, 20))
    vectors = [np.array(task[0]) for task in THREE_TASKS]
    gram3 = np.array([[a @ b for b in vectors] for a in vectors])
    for iterations in (1, 2, 20):
        show(f"three tasks alpha after {iterations}", frank_wolfe(gram3, iterations))
    exact = exact_min_norm(vectors)
    show("three tasks exact alpha", exact[0])
    show("three tasks exact point", exact[1])


def pcgrad_project(vectors, order_for):
    out = []
    for i, gi in enumerate(vectors):
        p = gi.copy()
        for j in order_for(i):
            d = p @ vectors[j]
            if d < 0:
                p = p - d / (vectors[j] @ vectors[j]) * vectors[j]
        out.append(p)
    return sum(out)


def pcgrad_cases():
    g = arrays(STEPS[0])
    flat = [np.concatenate(task) for task in g]
    total = pcgrad_project(flat, lambda i: [1 - i])
    print(" two tasks, scope all")
    show("combined", [total[:3], total[3:]])
    per_tensor = [pcgrad_project([g[0][j], g[1][j]], lambda i: [1 - i]) for j in range(2)]
    print(" two tasks, scope tensor")
    show("combined", per_tensor)
    vectors = [np.array(task[0]) for task in THREE_TASKS]
    for rotation in range(2):
        def order(i, rotation=rotation):
            others = [k for k in range(3) if k != i]
            return [others[(rotation + m) % 2] for m in range(2)]
        show(f"three tasks rotation {rotation}", pcgrad_project(vectors, order))


def gcs_cases():
    # Step 2 has one conflicting and one aligned tensor.
    g = arrays(STEPS[1])
    for variant in ("binary", "weighted"):
        combined = []
        weights = []
        for j in range(2):
            a, b = g[0][j], g[1][j]
            cos = a @ b / (np.linalg.norm(a) * np.linalg.norm(b))
            if variant == "binary":
                w = 1.0 if cos > 0 else 0.0
            else:
                w = max(cos, 0.0)
            weights.append(w)
            combined.append(a + w * b)
        print(f" {variant}, scope tensor")
        show("weights", np.array(weights))
        show("combined", combined)
    flat = [np.concatenate(task) for task in g]
    cos = flat[0] @ flat[1] / (np.linalg.norm(flat[0]) * np.linalg.norm(flat[1]))
    print(" weighted, scope all")
    show("cosine", np.array([cos]))
    show("combined", [g[0][j] + max(cos, 0.0) * g[1][j] for j in range(2)])


def olaux(lr, horizon):
    w = 1.0
    acc = 0.0
    count = 0
    for t, step in enumerate(STEPS, start=1):
        g = arrays(step)
        combined = [g[0][j] + w * g[1][j] for j in range(2)]
        acc += sum(g[0][j] @ g[1][j] for j in range(2))
        count += 1
        if count == horizon:
            w = w + lr * acc
            acc = 0.0
            count = 0
        print(f" step {t}")
        show("combined", combined)
        show("weight after", np.array([w]))


def mtadam(b1, b2, b3, eps):
    n = None
    m = [[np.zeros(3), np.zeros(4)] for _ in range(2)]
    v = [[np.zeros(3), np.zeros(4)] for _ in range(2)]
    for t, step in enumerate(STEPS, start=1):
        g = arrays(step)
        combined = []
        norms_now = np.array([[np.linalg.norm(g[k][j]) for j in range(2)] for k in range(2)])
        n = norms_now if n is None else b3 * n + (1 - b3) * norms_now
        for j in range(2):
            anchor = next(n[k, j] for k in range(2) if n[k, j] > 1e-10)
            steps = []
            denoms = []
            for k in range(2):
                h = g[k][j] * (anchor / n[k, j] if n[k, j] > 1e-10 else 1.0)
                m[k][j] = b1 * m[k][j] + (1 - b1) * h
                v[k][j] = b2 * v[k][j] + (1 - b2) * h * h
                steps.append(m[k][j] / (1 - b1**t))
                denoms.append(np.sqrt(v[k][j]) / math.sqrt(1 - b2**t) + eps)
            combined.append(sum(steps) / np.maximum(denoms[0], denoms[1]))
        print(f" step {t}")
        show("combined", combined)
        show("norm averages", n)


print("uncertainty adam lr=0.1")
uncertainty("adam", 0.1)
print("uncertainty sgd lr=0.5")
uncertainty("sgd", 0.5)
print("dwa T=2 window=1")
dwa(2.0, 1)
print("dwa T=0.5 window=1")
dwa(0.5, 1)
print("gradnorm alpha=1.5 lr=0.1 tensor=1")
gradnorm(1.5, 0.1, 1)
print("gradnorm alpha=0.5 lr=0.2 tensor=0")
gradnorm(0.5, 0.2, 0)
print("mgda")
mgda_cases()
print("pcgrad")
pcgrad_cases()
print("gcs")
gcs_cases()
print("olaux lr=0.1 horizon=1")
olaux(0.1, 1)
print("olaux lr=0.1 horizon=2")
olaux(0.1, 2)
print("mtadam defaults")
mtadam(0.9, 0.999, 0.9, 1e-8)
