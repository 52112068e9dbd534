"""A few symmetric TSP instances from TSPLIB with their published optima, and TSPLIB's exact
distance functions, to measure the route optimiser against known optimal tours.

Source: TSPLIB 95, Gerhard Reinelt, Universität Heidelberg (``tsp/*.tsp`` and the optimal tour
lengths in ``STSP.html``). TSPLIB is published for free use in research and testing; the data
below are the instances' coordinates (or, for bays29, its distance matrix) as published, copied
for tests and the benchmark only. Nothing at run time reads them.

Distances follow TSPLIB 95 §2: ``EUC_2D`` is the Euclidean distance rounded to the nearest
integer, ``ATT`` the pseudo-Euclidean distance of att48/att532, ``GEO`` the great-circle
distance on TSPLIB's idealised sphere (degrees.minutes coordinates, truncated to whole km + 1).
A tour measured with these functions equals the published optimum exactly when it is optimal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from tiejun.routing import Point


@dataclass(frozen=True)
class Instance:
    name: str
    optimum: int  # the published optimal tour length
    kind: str  # EUC_2D, ATT, GEO or EXPLICIT
    coords: tuple[tuple[float, float], ...] = ()
    weights: tuple[tuple[int, ...], ...] = ()  # EXPLICIT: the full matrix

    @property
    def nodes(self) -> int:
        return len(self.weights) if self.kind == "EXPLICIT" else len(self.coords)

    @property
    def stops(self) -> int:
        """Node 1 is the depot; the others are stops."""
        return self.nodes - 1

    def matrix(self) -> list[list[int]]:
        if self.kind == "EXPLICIT":
            return [list(row) for row in self.weights]
        distance = _DISTANCES[self.kind]
        n = len(self.coords)
        m = [[0] * n for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                m[i][j] = m[j][i] = distance(self.coords[i], self.coords[j])
        return m

    def points(self) -> list[Point]:
        """Depot first, then the stops, ids ``"1"``…``"n"`` as in TSPLIB; no opening hours and
        no service time. Their latitude and longitude are unused: :class:`TsplibProvider`
        gives the distances."""
        return [Point(str(k), 0.0, 0.0, service_s=0) for k in range(1, self.nodes + 1)]

    def tour_length(self, order: Sequence[str]) -> int:
        """The closed tour through the TSPLIB ids in ``order``."""
        m = self.matrix()
        nodes = [int(k) - 1 for k in order]
        return sum(m[a][b] for a, b in zip(nodes, nodes[1:] + nodes[:1], strict=True))


@dataclass(frozen=True)
class TsplibProvider:
    """A :class:`tiejun.routing.DistanceProvider` giving an instance's TSPLIB distances, and no
    driving time (a TSP has no clock: the day never ends)."""

    instance: Instance

    def matrix(self, points: Sequence[Point]) -> tuple[list[list[int]], list[list[int]]]:
        full = self.instance.matrix()
        index = [int(p.id) - 1 for p in points]
        dist = [[full[i][j] for j in index] for i in index]
        return dist, [[0] * len(index) for _ in index]


def nint(x: float) -> int:
    return int(x + 0.5)


def euc_2d(a: tuple[float, float], b: tuple[float, float]) -> int:
    return nint(math.hypot(a[0] - b[0], a[1] - b[1]))


def att(a: tuple[float, float], b: tuple[float, float]) -> int:
    r = math.sqrt(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) / 10.0)
    t = nint(r)
    return t + 1 if t < r else t


def _geo_radians(x: float) -> float:
    deg = int(x)  # TSPLIB truncates (the reference code's "(int) x"), as Concorde does
    return 3.141592 * (deg + 5.0 * (x - deg) / 3.0) / 180.0


def geo(a: tuple[float, float], b: tuple[float, float]) -> int:
    lat_a, lon_a = _geo_radians(a[0]), _geo_radians(a[1])
    lat_b, lon_b = _geo_radians(b[0]), _geo_radians(b[1])
    q1 = math.cos(lon_a - lon_b)
    q2 = math.cos(lat_a - lat_b)
    q3 = math.cos(lat_a + lat_b)
    return int(6378.388 * math.acos(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)) + 1.0)


_DISTANCES = {"EUC_2D": euc_2d, "ATT": att, "GEO": geo}


def _coords(text: str) -> tuple[tuple[float, float], ...]:
    """``"x y x y …"`` (the NODE_COORD_SECTION without node numbers) as pairs."""
    values = [float(v) for v in text.split()]
    return tuple(zip(values[::2], values[1::2], strict=True))


def _rows(text: str) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(v) for v in line.split()) for line in text.strip().splitlines())


_ULYSSES22 = """
38.24 20.42  39.57 26.15  40.56 25.32  36.26 23.12  33.48 10.54  37.56 12.19  38.42 13.11
37.52 20.44  41.23 9.10  41.17 13.05  36.08 -5.21  38.47 15.13  38.15 15.35  37.51 15.17
35.49 14.32  39.36 19.56  38.09 24.36  36.09 23.00  40.44 13.57  40.33 14.15  40.37 14.23
37.57 22.56
"""

BURMA14 = Instance(
    "burma14",
    3323,
    "GEO",
    _coords("""
16.47 96.10  16.47 94.44  20.09 92.54  22.39 93.37  25.23 97.24  22.00 96.05  20.47 97.02
17.20 96.29  16.30 97.38  14.05 98.12  16.53 97.38  21.52 95.59  19.41 97.13  20.09 94.55
"""),
)

# ulysses16 is the first sixteen cities of ulysses22.
ULYSSES16 = Instance("ulysses16", 6859, "GEO", _coords(_ULYSSES22)[:16])
ULYSSES22 = Instance("ulysses22", 7013, "GEO", _coords(_ULYSSES22))

BAYS29 = Instance(
    "bays29",
    2020,
    "EXPLICIT",
    weights=_rows("""
0 107 241 190 124 80 316 76 152 157 283 133 113 297 228 129 348 276 188 150 65 341 184 67 221 169 108 45 167
107 0 148 137 88 127 336 183 134 95 254 180 101 234 175 176 265 199 182 67 42 278 271 146 251 105 191 139 79
241 148 0 374 171 259 509 317 217 232 491 312 280 391 412 349 422 356 355 204 182 435 417 292 424 116 337 273 77
190 137 374 0 202 234 222 192 248 42 117 287 79 107 38 121 152 86 68 70 137 151 239 135 137 242 165 228 205
124 88 171 202 0 61 392 202 46 160 319 112 163 322 240 232 314 287 238 155 65 366 300 175 307 57 220 121 97
80 127 259 234 61 0 386 141 72 167 351 55 157 331 272 226 362 296 232 164 85 375 249 147 301 118 188 60 185
316 336 509 222 392 386 0 233 438 254 202 439 235 254 210 187 313 266 154 282 321 298 168 249 95 437 190 314 435
76 183 317 192 202 141 233 0 213 188 272 193 131 302 233 98 344 289 177 216 141 346 108 57 190 245 43 81 243
152 134 217 248 46 72 438 213 0 206 365 89 209 368 286 278 360 333 284 201 111 412 321 221 353 72 266 132 111
157 95 232 42 160 167 254 188 206 0 159 220 57 149 80 132 193 127 100 28 95 193 241 131 169 200 161 189 163
283 254 491 117 319 351 202 272 365 159 0 404 176 106 79 161 165 141 95 187 254 103 279 215 117 359 216 308 322
133 180 312 287 112 55 439 193 89 220 404 0 210 384 325 279 415 349 285 217 138 428 310 200 354 169 241 112 238
113 101 280 79 163 157 235 131 209 57 176 210 0 186 117 75 231 165 81 85 92 230 184 74 150 208 104 158 206
297 234 391 107 322 331 254 302 368 149 106 384 186 0 69 191 59 35 125 167 255 44 309 245 169 327 246 335 288
228 175 412 38 240 272 210 233 286 80 79 325 117 69 0 122 122 56 56 108 175 113 240 176 125 280 177 266 243
129 176 349 121 232 226 187 98 278 132 161 279 75 191 122 0 244 178 66 160 161 235 118 62 92 277 55 155 275
348 265 422 152 314 362 313 344 360 193 165 415 231 59 122 244 0 66 178 198 286 77 362 287 228 358 299 380 319
276 199 356 86 287 296 266 289 333 127 141 349 165 35 56 178 66 0 112 132 220 79 296 232 181 292 233 314 253
188 182 355 68 238 232 154 177 284 100 95 285 81 125 56 66 178 112 0 128 167 169 179 120 69 283 121 213 281
150 67 204 70 155 164 282 216 201 28 187 217 85 167 108 160 198 132 128 0 88 211 269 159 197 172 189 182 135
65 42 182 137 65 85 321 141 111 95 254 138 92 255 175 161 286 220 167 88 0 299 229 104 236 110 149 97 108
341 278 435 151 366 375 298 346 412 193 103 428 230 44 113 235 77 79 169 211 299 0 353 289 213 371 290 379 332
184 271 417 239 300 249 168 108 321 241 279 310 184 309 240 118 362 296 179 269 229 353 0 121 162 345 80 189 342
67 146 292 135 175 147 249 57 221 131 215 200 74 245 176 62 287 232 120 159 104 289 121 0 154 220 41 93 218
221 251 424 137 307 301 95 190 353 169 117 354 150 169 125 92 228 181 69 197 236 213 162 154 0 352 147 247 350
169 105 116 242 57 118 437 245 72 200 359 169 208 327 280 277 358 292 283 172 110 371 345 220 352 0 265 178 39
108 191 337 165 220 188 190 43 266 161 216 241 104 246 177 55 299 233 121 189 149 290 80 41 147 265 0 124 263
45 139 273 228 121 60 314 81 132 189 308 112 158 335 266 155 380 314 213 182 97 379 189 93 247 178 124 0 199
167 79 77 205 97 185 435 243 111 163 322 238 206 288 243 275 319 253 281 135 108 332 342 218 350 39 263 199 0
"""),
)

ATT48 = Instance(
    "att48",
    10628,
    "ATT",
    _coords("""
6734 1453  2233 10  5530 1424  401 841  3082 1644  7608 4458  7573 3716  7265 1268  6898 1885
1112 2049  5468 2606  5989 2873  4706 2674  4612 2035  6347 2683  6107 669  7611 5184
7462 3590  7732 4723  5900 3561  4483 3369  6101 1110  5199 2182  1633 2809  4307 2322
675 1006  7555 4819  7541 3981  3177 756  7352 4506  7545 2801  3245 3305  6426 3173
4608 1198  23 2216  7248 3779  7762 4595  7392 2244  3484 2829  6271 2135  4985 140
1916 1569  7280 4899  7509 3239  10 2676  6807 2993  5185 3258  3023 1942
"""),
)

EIL51 = Instance(
    "eil51",
    426,
    "EUC_2D",
    _coords("""
37 52  49 49  52 64  20 26  40 30  21 47  17 63  31 62  52 33  51 21  42 41  31 32  5 25
12 42  36 16  52 41  27 23  17 33  13 13  57 58  62 42  42 57  16 57  8 52  7 38  27 68
30 48  43 67  58 48  58 27  37 69  38 46  46 10  61 33  62 63  63 69  32 22  45 35  59 15
5 6  10 17  21 10  5 64  30 15  39 10  32 39  25 32  25 55  48 28  56 37  30 40
"""),
)

BERLIN52 = Instance(
    "berlin52",
    7542,
    "EUC_2D",
    _coords("""
565 575  25 185  345 750  945 685  845 655  880 660  25 230  525 1000  580 1175  650 1130
1605 620  1220 580  1465 200  1530 5  845 680  725 370  145 665  415 635  510 875  560 365
300 465  520 585  480 415  835 625  975 580  1215 245  1320 315  1250 400  660 180  410 250
420 555  575 665  1150 1160  700 580  685 595  685 610  770 610  795 645  720 635  760 650
475 960  95 260  875 920  700 500  555 815  830 485  1170 65  830 610  605 625  595 360
1340 725  1740 245
"""),
)

INSTANCES: tuple[Instance, ...] = (
    BURMA14,
    ULYSSES16,
    ULYSSES22,
    BAYS29,
    ATT48,
    EIL51,
    BERLIN52,
)
