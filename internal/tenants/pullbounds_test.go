package tenants

import "testing"

func TestPullBounds(t *testing.T) {
	env := envOf(map[string]string{"T": "tok"})
	t.Run("built-in defaults, defaults block, tenant override", func(t *testing.T) {
		cfg, err := Parse([]byte(`
defaults:
  max_delete_fraction: 0.5
  max_pages: 20
tenants:
  - id: inherits
    rentengine: {token_env: T}
  - id: own
    max_delete_fraction: 1
    min_delete_guard: 3
    max_pages: 7
    rentengine: {token_env: T}
`), LoadOptions{LookupEnv: env})
		if err != nil {
			t.Fatal(err)
		}
		type bounds struct {
			frac       float64
			min, pages int
		}
		eq(t, "defaults", bounds{cfg.Defaults.MaxDeleteFraction, cfg.Defaults.MinDeleteGuard, cfg.Defaults.MaxPages},
			bounds{0.5, DefaultMinDeleteGuard, 20})
		in := cfg.Tenant("inherits")
		eq(t, "inherits", bounds{in.MaxDeleteFraction, in.MinDeleteGuard, in.MaxPages}, bounds{0.5, DefaultMinDeleteGuard, 20})
		own := cfg.Tenant("own")
		eq(t, "own", bounds{own.MaxDeleteFraction, own.MinDeleteGuard, own.MaxPages}, bounds{1, 3, 7})

		cfg, err = Parse([]byte("tenants:\n  - id: plain\n    rentengine: {token_env: T}\n"), LoadOptions{LookupEnv: env})
		if err != nil {
			t.Fatal(err)
		}
		p := cfg.Tenant("plain")
		eq(t, "built-in", bounds{p.MaxDeleteFraction, p.MinDeleteGuard, p.MaxPages},
			bounds{DefaultMaxDeleteFraction, DefaultMinDeleteGuard, DefaultMaxPages})
	})

	t.Run("out of range", func(t *testing.T) {
		_, err := Load("testdata/bad_pull_bounds.yaml", LoadOptions{LookupEnv: envOf(map[string]string{
			"ACME_RENTENGINE_TOKEN": "a", "BETA_RENTENGINE_TOKEN": "b"})})
		checkProblems(t, err, []want{
			{"", "defaults.max_delete_fraction", "0 is out of range: a fraction greater than 0 and at most 1", 3},
			{"", "defaults.min_delete_guard", "must be 1 or more", 4},
			{"", "defaults.max_pages", "must be 1 or more", 5},
			{"acme", "max_delete_fraction", "1.5 is out of range", 8},
			{"acme", "min_delete_guard", "must be 1 or more", 9},
			{"acme", "max_pages", "must be 1 or more", 10},
			{"beta", "max_delete_fraction", `expected a number such as 0.2, got "twenty percent"`, 14},
			{"beta", "max_pages", `expected a whole number, got "1e3x"`, 15},
		})
	})
}
