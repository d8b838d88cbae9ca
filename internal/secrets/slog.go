package secrets

import (
	"context"
	"fmt"
	"log/slog"
)

// NewHandler returns a slog.Handler that passes each record to h with every
// value red holds replaced by Redacted: the message and every attribute,
// also inside groups, attributes added with With, errors, Stringers and
// LogValuers. Values registered after the logger was derived are redacted
// too, since With attributes are redacted when a record is written, not
// when they are added. A nil red makes it h itself.
func NewHandler(h slog.Handler, red *Redactor) slog.Handler {
	if red == nil {
		return h
	}
	return &redactHandler{inner: h, red: red}
}

// NewLogger returns slog.New(NewHandler(l.Handler(), red)), or l when red
// is nil; a nil l gives a logger that discards.
func NewLogger(l *slog.Logger, red *Redactor) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	if red == nil {
		return l
	}
	if _, ok := l.Handler().(*redactHandler); ok {
		return l
	}
	return slog.New(NewHandler(l.Handler(), red))
}

// redactHandler keeps the With attributes and groups it was given and
// applies them, redacted, to the inner handler when a record is written.
type redactHandler struct {
	inner slog.Handler
	red   *Redactor
	ops   []handlerOp
}

// handlerOp is one WithGroup (group != "") or WithAttrs call.
type handlerOp struct {
	group string
	attrs []slog.Attr
}

func (h *redactHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l)
}

func (h *redactHandler) Handle(ctx context.Context, r slog.Record) error {
	inner := h.inner
	for _, op := range h.ops {
		if op.group != "" {
			inner = inner.WithGroup(op.group)
			continue
		}
		inner = inner.WithAttrs(h.attrs(op.attrs))
	}
	out := slog.NewRecord(r.Time, r.Level, h.red.String(r.Message), r.PC)
	attrs := make([]slog.Attr, 0, r.NumAttrs())
	r.Attrs(func(a slog.Attr) bool {
		attrs = append(attrs, a)
		return true
	})
	out.AddAttrs(h.attrs(attrs)...)
	return inner.Handle(ctx, out)
}

func (h *redactHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(handlerOp{attrs: append([]slog.Attr(nil), attrs...)})
}

func (h *redactHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(handlerOp{group: name})
}

func (h *redactHandler) with(op handlerOp) *redactHandler {
	ops := make([]handlerOp, len(h.ops), len(h.ops)+1)
	copy(ops, h.ops)
	return &redactHandler{inner: h.inner, red: h.red, ops: append(ops, op)}
}

func (h *redactHandler) attrs(in []slog.Attr) []slog.Attr {
	out := make([]slog.Attr, len(in))
	for i, a := range in {
		out[i] = h.attr(a)
	}
	return out
}

// attr redacts one attribute's key and value. A value of another kind
// than string that shows a secret when formatted becomes its redacted
// text; one that shows none is kept as it is.
func (h *redactHandler) attr(a slog.Attr) slog.Attr {
	a.Key = h.red.String(a.Key)
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		a.Value = slog.StringValue(h.red.String(v.String()))
	case slog.KindGroup:
		a.Value = slog.GroupValue(h.attrs(v.Group())...)
	case slog.KindAny:
		var text string
		switch x := v.Any().(type) {
		case error:
			text = x.Error()
		case []byte:
			text = string(x)
		default:
			text = fmt.Sprintf("%+v", x)
		}
		if red := h.red.String(text); red != text {
			a.Value = slog.StringValue(red)
		} else {
			a.Value = v
		}
	default:
		a.Value = v
	}
	return a
}
