// matrix: small dense linear algebra in C++ (a file with the upper-case .C
// extension, which gcc and clang both take as C++): multiplication,
// transpose, determinant and solving a linear system by Gaussian elimination
// with partial pivoting.
// realworld: needs .C recognised as C++ (not in sealexec yet).
// sealexec: -std=c++17 -Wall -Wextra -Werror -pedantic
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

template <std::size_t R, std::size_t C>
struct Matrix {
  std::array<std::array<double, C>, R> a{};

  template <std::size_t K>
  Matrix<R, K> operator*(const Matrix<C, K>& o) const {
    Matrix<R, K> m;
    for (std::size_t i = 0; i < R; ++i)
      for (std::size_t j = 0; j < K; ++j)
        for (std::size_t k = 0; k < C; ++k) m.a[i][j] += a[i][k] * o.a[k][j];
    return m;
  }
  Matrix<C, R> transposed() const {
    Matrix<C, R> t;
    for (std::size_t i = 0; i < R; ++i)
      for (std::size_t j = 0; j < C; ++j) t.a[j][i] = a[i][j];
    return t;
  }
  void print(const char* name) const {
    std::printf("%s =\n", name);
    for (const auto& row : a) {
      for (double v : row) std::printf(" %8.3f", v);
      std::printf("\n");
    }
  }
};

template <std::size_t N>
double determinant(Matrix<N, N> m) {
  double det = 1;
  for (std::size_t col = 0; col < N; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < N; ++r)
      if (std::fabs(m.a[r][col]) > std::fabs(m.a[pivot][col])) pivot = r;
    if (m.a[pivot][col] == 0) return 0;
    if (pivot != col) {
      std::swap(m.a[pivot], m.a[col]);
      det = -det;
    }
    det *= m.a[col][col];
    for (std::size_t r = col + 1; r < N; ++r) {
      double f = m.a[r][col] / m.a[col][col];
      for (std::size_t c = col; c < N; ++c) m.a[r][c] -= f * m.a[col][c];
    }
  }
  return det;
}

template <std::size_t N>
std::array<double, N> solve(Matrix<N, N> m, std::array<double, N> b) {
  for (std::size_t col = 0; col < N; ++col) {
    std::size_t pivot = col;
    for (std::size_t r = col + 1; r < N; ++r)
      if (std::fabs(m.a[r][col]) > std::fabs(m.a[pivot][col])) pivot = r;
    std::swap(m.a[pivot], m.a[col]);
    std::swap(b[pivot], b[col]);
    for (std::size_t r = col + 1; r < N; ++r) {
      double f = m.a[r][col] / m.a[col][col];
      for (std::size_t c = col; c < N; ++c) m.a[r][c] -= f * m.a[col][c];
      b[r] -= f * b[col];
    }
  }
  std::array<double, N> x{};
  for (std::size_t i = N; i-- > 0;) {
    double s = b[i];
    for (std::size_t c = i + 1; c < N; ++c) s -= m.a[i][c] * x[c];
    x[i] = s / m.a[i][i];
  }
  return x;
}

int main() {
  Matrix<2, 3> a{{{{1, 2, 3}, {4, 5, 6}}}};
  Matrix<3, 2> b{{{{7, 8}, {9, 10}, {11, 12}}}};
  (a * b).print("A*B");
  a.transposed().print("A^T");
  Matrix<3, 3> m{{{{2, 1, -1}, {-3, -1, 2}, {-2, 1, 2}}}};
  std::printf("det(M) = %.3f\n", determinant(m));
  auto x = solve(m, {8, -11, -3});
  std::printf("M x = (8, -11, -3): x = (%.3f, %.3f, %.3f)\n", x[0], x[1], x[2]);
  Matrix<3, 3> singular{{{{1, 2, 3}, {2, 4, 6}, {1, 1, 1}}}};
  std::printf("det(singular) = %.3f\n", determinant(singular));
  return 0;
}
