package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.uber.org/zap"
	"gorm.io/gorm"
	gormlogger "gorm.io/gorm/logger"
)

// gormLogger adapts zap to GORM's logger. It never prints bind values: they carry tenant data and,
// in some statements, credentials. Slow statements are logged at warn, failures at error
// (except record-not-found, which callers handle).
type gormLogger struct {
	log           *zap.Logger
	slowThreshold time.Duration
	level         gormlogger.LogLevel
}

// newGORMLogger returns an adapter logging warnings and errors.
func newGORMLogger(log *zap.Logger) *gormLogger {
	return &gormLogger{log: log.Named("gorm"), slowThreshold: 2 * time.Second, level: gormlogger.Warn}
}

var _ gormlogger.Interface = (*gormLogger)(nil)
var _ gorm.ParamsFilter = (*gormLogger)(nil)

// LogMode implements gormlogger.Interface.
func (g *gormLogger) LogMode(l gormlogger.LogLevel) gormlogger.Interface {
	c := *g
	c.level = l
	return &c
}

// Info implements gormlogger.Interface.
func (g *gormLogger) Info(_ context.Context, msg string, args ...any) {
	if g.level >= gormlogger.Info {
		g.log.Info(fmt.Sprintf(msg, args...))
	}
}

// Warn implements gormlogger.Interface.
func (g *gormLogger) Warn(_ context.Context, msg string, args ...any) {
	if g.level >= gormlogger.Warn {
		g.log.Warn(fmt.Sprintf(msg, args...))
	}
}

// Error implements gormlogger.Interface.
func (g *gormLogger) Error(_ context.Context, msg string, args ...any) {
	if g.level >= gormlogger.Error {
		g.log.Error(fmt.Sprintf(msg, args...))
	}
}

// ParamsFilter implements gormlogger.ParamsFilter: the SQL keeps its placeholders and no value
// is interpolated.
func (g *gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

// Trace implements gormlogger.Interface.
func (g *gormLogger) Trace(_ context.Context, begin time.Time, fc func() (string, int64), err error) {
	if g.level <= gormlogger.Silent {
		return
	}
	elapsed := time.Since(begin)
	switch {
	case err != nil && g.level >= gormlogger.Error && !errors.Is(err, gormlogger.ErrRecordNotFound):
		sql, rows := fc()
		g.log.Error("sql failed", zap.Error(err), zap.Duration("elapsed", elapsed), zap.String("sql", truncate(sql)), zap.Int64("rows", rows))
	case g.slowThreshold > 0 && elapsed > g.slowThreshold && g.level >= gormlogger.Warn:
		sql, rows := fc()
		g.log.Warn("slow sql", zap.Duration("elapsed", elapsed), zap.String("sql", truncate(sql)), zap.Int64("rows", rows))
	case g.level >= gormlogger.Info:
		sql, rows := fc()
		g.log.Debug("sql", zap.Duration("elapsed", elapsed), zap.String("sql", truncate(sql)), zap.Int64("rows", rows))
	}
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}
