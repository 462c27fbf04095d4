package pgident

import "testing"

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{`user`: `"user"`, `a"b`: `"a""b"`} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}
