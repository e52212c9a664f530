// Package logging builds syncd's zap logger. (Its adapter for GORM lives with the store, in
// internal/models, the one package that uses GORM.)
//
// Sampling is off: zap's production sampler drops repeated messages across all callers, which
// would silently hide one tenant's lines while another tenant is noisy.
package logging

import (
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config selects level ("debug", "info", "warn", "error") and format ("json", "console").
type Config struct {
	Level  string
	Format string
	// Output defaults to stderr.
	Output io.Writer
}

// New builds the process logger.
func New(cfg Config) (*zap.Logger, error) {
	lvl := zapcore.InfoLevel
	if cfg.Level != "" {
		if err := lvl.UnmarshalText([]byte(cfg.Level)); err != nil {
			return nil, fmt.Errorf("log level %q: %w", cfg.Level, err)
		}
	}
	ec := zap.NewProductionEncoderConfig()
	ec.TimeKey = "ts"
	ec.EncodeTime = zapcore.ISO8601TimeEncoder
	var enc zapcore.Encoder
	switch cfg.Format {
	case "", "json":
		enc = zapcore.NewJSONEncoder(ec)
	case "console":
		ec.EncodeLevel = zapcore.CapitalLevelEncoder
		enc = zapcore.NewConsoleEncoder(ec)
	default:
		return nil, fmt.Errorf("log format %q: want json or console", cfg.Format)
	}
	var out zapcore.WriteSyncer = zapcore.Lock(zapcore.AddSync(os.Stderr))
	if cfg.Output != nil {
		out = zapcore.Lock(zapcore.AddSync(cfg.Output))
	}
	return zap.New(zapcore.NewCore(enc, out, lvl), zap.ErrorOutput(out)), nil
}
