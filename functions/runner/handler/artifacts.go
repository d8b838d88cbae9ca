package handler

import "github.com/journeygate/journeygate/shared/journey"

// WithArtifacts sets where journeys keep binary evidence such as a
// browser's screenshots (journey.Options.Artifacts); without it they keep
// none and say so in their evidence. The browser runner's main sets the
// reports bucket (lambda/browserrunner).
func WithArtifacts(a journey.Artifacts) Option { return func(h *Handler) { h.artifacts = a } }
