"""The devices' exact discrete Gaussian sampler (firmware/fleet/discrete-gaussian.ts) in Python,
consuming the same random bytes in the same order, so virtual devices add what a device adds:
Canonne, Kamath, Steinke, "The Discrete Gaussian for Differential Privacy", NeurIPS 2020,
Algorithms 1-3 in integer arithmetic (sigma^2 a Fraction). Also the round's noise parameter:
local_variance(z, c, n), the variance sigma^2 / n in grid steps each of n devices adds so their
sum carries at least (z c)^2 (privacy.py accounts multiplier z on clip c = S / gamma).

`random_bytes(k)` is the device's generator (os.urandom for a real virtual device; a replayed
stream in the tests).
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Callable

MOD = 1 << 32
RandomBytes = Callable[[int], bytes]


class RandomStream:
    """Bytes from `random_bytes` in order (the device buffers its port in chunks of 512)."""

    def __init__(self, random_bytes: RandomBytes, chunk: int = 512):
        self.random_bytes, self.chunk, self.buf, self.at = random_bytes, chunk, b"", 0

    def byte(self) -> int:
        if self.at == len(self.buf):
            self.buf = self.random_bytes(self.chunk)
            if len(self.buf) != self.chunk:
                raise ValueError("random generator returned too few bytes")
            self.at = 0
        self.at += 1
        return self.buf[self.at - 1]


def below(rs: RandomStream, m: int) -> int:
    """Uniform in [0, m): ceil(bits(m-1)/8) little-endian bytes, top byte masked, redrawn while >= m."""
    if m == 1:
        return 0
    bits = (m - 1).bit_length()
    nbytes = (bits + 7) // 8
    top = (1 << (bits - 8 * (nbytes - 1))) - 1
    while True:
        v = 0
        for i in range(nbytes):
            b = rs.byte()
            v |= (b & top if i == nbytes - 1 else b) << (8 * i)
        if v < m:
            return v


def bernoulli_exp_unit(rs: RandomStream, num: int, den: int) -> bool:
    """Bernoulli(exp(-num/den)), 0 <= num <= den (Algorithm 1)."""
    k = 1
    while below(rs, den * k) < num:
        k += 1
    return k % 2 == 1


def bernoulli_exp(rs: RandomStream, num: int, den: int) -> bool:
    for _ in range(num // den):
        if not bernoulli_exp_unit(rs, 1, 1):
            return False
    return bernoulli_exp_unit(rs, num % den, den)


def discrete_laplace(rs: RandomStream, t: int) -> int:
    """P(x) proportional to exp(-|x|/t) (Algorithm 2 with s = 1)."""
    while True:
        u = below(rs, t)
        if not bernoulli_exp_unit(rs, u, t):
            continue
        v = 0
        while bernoulli_exp_unit(rs, 1, 1):
            v += 1
        y = u + t * v
        negative = below(rs, 2) == 1
        if negative and y == 0:
            continue
        return -y if negative else y


class DiscreteGaussian:
    """N_Z(0, sigma^2) for sigma^2 = p/q (Algorithm 3): t = floor(sigma) + 1."""

    def __init__(self, variance: Fraction):
        variance = Fraction(variance)
        if variance <= 0:
            raise ValueError("variance must be > 0")
        self.p, self.q = variance.numerator, variance.denominator
        self.t = math.isqrt(self.p // self.q) + 1
        self.den = 2 * self.p * self.q * self.t * self.t

    def sample(self, rs: RandomStream) -> int:
        while True:
            y = discrete_laplace(rs, self.t)
            a = abs(y) * self.q * self.t - self.p
            if bernoulli_exp(rs, a * a, self.den):
                return y


def add_discrete_gaussian(random_bytes: RandomBytes, encoded: list[int], variance: Fraction) -> list[int]:
    """The device's noise share: N_Z(0, variance) on words 0..d-1 mod 2^32, the weight word kept."""
    if len(encoded) < 2:
        raise ValueError("an encoded update has at least one value and the weight")
    g, rs = DiscreteGaussian(variance), RandomStream(random_bytes)
    return [(w + g.sample(rs)) % MOD for w in encoded[:-1]] + [encoded[-1]]


def local_variance(noise_multiplier: float, clip_steps: int, devices: int) -> Fraction:
    """sigma^2 / n in grid steps for sigma = z c, rounded up to ceil((z c)^2) / n (exact from the
    float z), so n devices' noise carries >= (z c)^2: more than privacy.py accounts, never less."""
    if not (noise_multiplier > 0 and math.isfinite(noise_multiplier)):
        raise ValueError("noise multiplier must be finite and > 0")
    if isinstance(clip_steps, bool) or not isinstance(clip_steps, int) or clip_steps < 1:
        raise ValueError("clip steps must be an integer >= 1")
    if isinstance(devices, bool) or not isinstance(devices, int) or devices < 1:
        raise ValueError("devices must be an integer >= 1")
    total = Fraction(noise_multiplier) ** 2 * clip_steps ** 2
    return Fraction(math.ceil(total), devices)
