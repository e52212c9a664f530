package tenants

import "go.uber.org/zap/zapcore"

// Secret holds a credential resolved from the environment or a file. Every printing path
// (fmt verbs, JSON, zap) shows "[redacted]" so a secret cannot reach a log by accident;
// Reveal is the one deliberate way out.
type Secret struct{ value string }

// NewSecret wraps a value.
func NewSecret(v string) Secret { return Secret{value: v} }

// Reveal returns the secret's value for use on the wire.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.value == "" }

func (s Secret) String() string   { return "[redacted]" }
func (s Secret) GoString() string { return "tenants.Secret{[redacted]}" }

// MarshalJSON keeps secrets out of JSON dumps of the config.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"[redacted]"`), nil }

// MarshalText keeps secrets out of YAML and text encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// MarshalLogObject keeps secrets out of zap's reflection-based encoders.
func (s Secret) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("secret", "[redacted]")
	return nil
}
