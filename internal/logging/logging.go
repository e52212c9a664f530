// Package logging builds syncd's zap logger and adapts it for GORM.
//
// Sampling is off: zap's production sampler drops repeated messages across all callers, which
// would silently hide one tenant's lines while another tenant is noisy.
package logging

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
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

// GORM adapts zap to GORM's logger. It never prints bind values: they carry tenant data and,
// in some statements, credentials. Slow statements are logged at warn, failures at error
// (except record-not-found, which callers handle).
type GORM struct {
	Log           *zap.Logger
	SlowThreshold time.Duration
	level         gormlogger.LogLevel
}

// NewGORM returns an adapter logging warnings and errors.
func NewGORM(log *zap.Logger) *GORM {
	return &GORM{Log: log.Named("gorm"), SlowThreshold: 2 * time.Second, level: gormlogger.Warn}
}

var _ gormlogger.Interface = (*GORM)(nil)
var _ gorm.ParamsFilter = (*GORM)(nil)

// LogMode implements gormlogger.Interface.
func (g *GORM) LogMode(l gormlogger.LogLevel) gormlogger.Interface {
	c := *g
	c.level = l
	return &c
}

// Info implements gormlogger.Interface.
func (g *GORM) Info(_ context.Context, msg string, args ...any) {
	if g.level >= gormlogger.Info {
		g.Log.Info(fmt.Sprintf(msg, args...))
	}
}

// Warn implements gormlogger.Interface.
func (g *GORM) Warn(_ context.Context, msg string, args ...any) {
	if g.level >= gormlogger.Warn {
		g.Log.Warn(fmt.Sprintf(msg, args...))
	}
}

// Error implements gormlogger.Interface.
func (g *GORM) Error(_ context.Context, msg string, args ...any) {
	if g.level >= gormlogger.Error {
		g.Log.Error(fmt.Sprintf(msg, args...))
	}
}

// ParamsFilter implements gormlogger.ParamsFilter: the SQL keeps its placeholders and no value
// is interpolated.
func (g *GORM) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// Trace implements gormlogger.Interface.
func (g *GORM) Trace(_ context.Context, begin time.Time, fc func() (string, int64), err error) {
	if g.level <= gormlogger.Silent {
		return
	}
	elapsed := time.Since(begin)
	switch {
	case err != nil && g.level >= gormlogger.Error && !errors.Is(err, gormlogger.ErrRecordNotFound):
		sql, rows := fc()
		g.Log.Error("sql failed", zap.Error(err), zap.Duration("elapsed", elapsed), zap.String("sql", truncate(sql)), zap.Int64("rows", rows))
	case g.SlowThreshold > 0 && elapsed > g.SlowThreshold && g.level >= gormlogger.Warn:
		sql, rows := fc()
		g.Log.Warn("slow sql", zap.Duration("elapsed", elapsed), zap.String("sql", truncate(sql)), zap.Int64("rows", rows))
	case g.level >= gormlogger.Info:
		sql, rows := fc()
		g.Log.Debug("sql", zap.Duration("elapsed", elapsed), zap.String("sql", truncate(sql)), zap.Int64("rows", rows))
	}
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}
