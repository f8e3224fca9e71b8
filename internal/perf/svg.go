package perf

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// The report's charts are SVG written here, in Go, rather than drawn by a
// charting library: the file has to render offline, years later, with no
// CDN and nothing to execute, and a browser shows inline SVG as is.

// series is one line of a chart.
type series struct {
	Name  string
	Color string
	Ys    []float64
	Dash  string // stroke-dasharray, so lines that coincide stay visible
}

const (
	chartW, chartH                 = 1100, 320
	padL, padR, padT, padB float64 = 70, 20, 20, 50
	plotW, plotH                   = chartW - padL - padR, chartH - padT - padB
)

// niceStep returns a 1-2-5 step that cuts span into about n intervals.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

func fmtNum(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e6:
		return trim(v/1e6, 1) + "M"
	case a >= 1e4:
		return trim(v/1e3, 1) + "k"
	case a >= 100:
		return trim(v, 0)
	case a >= 1:
		return trim(v, 1)
	}
	return trim(v, 3)
}

// trim formats v with at most prec decimals and no trailing zeros.
func trim(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// fmtMicros renders a latency in µs with a unit that fits it.
func fmtMicros(v float64) string {
	switch {
	case v >= 1e6:
		return trim(v/1e6, 2) + " s"
	case v >= 1e3:
		return trim(v/1e3, 2) + " ms"
	}
	return trim(v, 0) + " µs"
}

// yScale maps values to the plot's height, linearly or by decades.
type yScale struct {
	log      bool
	lo, hi   float64
	ticks    []float64
	tickText func(float64) string
}

func newYScale(maxV float64, minPos float64, logScale bool, text func(float64) string) yScale {
	s := yScale{log: logScale, tickText: text}
	if logScale {
		if minPos <= 0 {
			minPos = 1
		}
		s.lo = math.Pow(10, math.Floor(math.Log10(minPos)))
		s.hi = math.Pow(10, math.Ceil(math.Log10(math.Max(maxV, s.lo*10))))
		for d := s.lo; d <= s.hi*1.0001; d *= 10 {
			s.ticks = append(s.ticks, d)
		}
		return s
	}
	step := niceStep(maxV, 5)
	s.hi = math.Max(step, math.Ceil(maxV/step)*step)
	for v := 0.0; v <= s.hi*1.0001; v += step {
		s.ticks = append(s.ticks, v)
	}
	return s
}

func (s yScale) y(v float64) float64 {
	f := 0.0
	if s.log {
		v = math.Max(v, s.lo)
		f = math.Log10(v/s.lo) / math.Log10(s.hi/s.lo)
	} else if s.hi > 0 {
		f = v / s.hi
	}
	return padT + plotH*(1-f)
}

func svgOpen(b *strings.Builder, id, title string) {
	fmt.Fprintf(b, `<svg class="chart" id="%s" viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s">`,
		id, chartW, chartH, html.EscapeString(title))
	fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" class="plot"/>`, padL, padT, plotW, plotH)
}

func (s yScale) drawAxis(b *strings.Builder, label string) {
	for _, t := range s.ticks {
		y := s.y(t)
		fmt.Fprintf(b, `<line x1="%.0f" x2="%.0f" y1="%.1f" y2="%.1f" class="grid"/>`, padL, padL+plotW, y, y)
		fmt.Fprintf(b, `<text x="%.0f" y="%.1f" class="tick" text-anchor="end">%s</text>`, padL-6, y+4, html.EscapeString(s.tickText(t)))
	}
	fmt.Fprintf(b, `<text transform="translate(16 %.0f) rotate(-90)" class="axis" text-anchor="middle">%s</text>`, padT+plotH/2, html.EscapeString(label))
}

// lineChart draws series over the sample times xs (seconds).
func lineChart(id, title, yLabel string, xs []float64, ss []series, logScale bool, text func(float64) string) template.HTML {
	var b strings.Builder
	svgOpen(&b, id, title)
	maxX, maxY, minPos := 1.0, 0.0, math.Inf(1)
	for _, x := range xs {
		maxX = math.Max(maxX, x)
	}
	for _, s := range ss {
		for _, y := range s.Ys {
			maxY = math.Max(maxY, y)
			if y > 0 {
				minPos = math.Min(minPos, y)
			}
		}
	}
	ys := newYScale(maxY, minPos, logScale, text)
	ys.drawAxis(&b, yLabel)
	xstep := niceStep(maxX, 10)
	for t := 0.0; t <= maxX*1.0001; t += xstep {
		x := padL + plotW*t/maxX
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f" class="grid"/>`, x, x, padT, padT+plotH)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="tick" text-anchor="middle">%s</text>`, x, padT+plotH+16, fmtNum(t))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="axis" text-anchor="middle">time (s)</text>`, padL+plotW/2, padT+plotH+38)
	for i, s := range ss {
		var pts []string
		for j, y := range s.Ys {
			if j < len(xs) && !(logScale && y <= 0) {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", padL+plotW*xs[j]/maxX, ys.y(y)))
			}
		}
		fmt.Fprintf(&b, `<g class="series s%d" data-series="%s">`, i, html.EscapeString(s.Name))
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>`, s.Color, s.Dash, strings.Join(pts, " "))
		if len(xs) <= 300 { // points with native tooltips; too many would only clutter
			for j, y := range s.Ys {
				if j < len(xs) && !(logScale && y <= 0) {
					fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s at %.1f s: %s</title></circle>`,
						padL+plotW*xs[j]/maxX, ys.y(y), s.Color, html.EscapeString(s.Name), xs[j], html.EscapeString(text(y)))
				}
			}
		}
		b.WriteString(`</g>`)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) + legend(id, ss)
}

func legend(id string, ss []series) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<div class="legend" data-chart="%s">`, id)
	for i, s := range ss {
		fmt.Fprintf(&b, `<span class="key" data-index="%d"><i style="background:%s"></i>%s</span>`, i, s.Color, html.EscapeString(s.Name))
	}
	b.WriteString(`</div>`)
	return template.HTML(b.String())
}

// bin is one bar of the latency distribution: values in [Lo, Hi) µs.
type bin struct {
	Lo, Hi float64
	Count  uint64
}

// distribution re-bins a histogram into n bars, log-spaced between the
// smallest and largest value when they span more than a factor of 4
// (latencies usually do: a long tail is the point of the chart).
func distribution(h *Histogram, n int) []bin {
	if h == nil || h.Count() == 0 {
		return nil
	}
	lo, hi := math.Max(float64(h.Min())/1e3, 0.001), float64(h.Max())/1e3
	if hi <= lo {
		hi = lo * 1.01
	}
	logBins := hi/lo > 4
	edge := func(i int) float64 {
		if logBins {
			return lo * math.Pow(hi/lo, float64(i)/float64(n))
		}
		return lo + (hi-lo)*float64(i)/float64(n)
	}
	bins := make([]bin, n)
	for i := range bins {
		bins[i] = bin{Lo: edge(i), Hi: edge(i + 1)}
	}
	for _, bk := range h.Buckets() {
		v := (float64(bk.Lo) + float64(bk.Hi-bk.Lo)/2) / 1e3
		i := n - 1
		for j := range bins {
			if v < bins[j].Hi {
				i = j
				break
			}
		}
		bins[i].Count += bk.Count
	}
	return bins
}

// barChart draws the latency distribution with percentile markers.
type mark struct {
	name string
	v    float64 // µs
}

func barChart(id, title string, bins []bin, marks []mark) template.HTML {
	var b strings.Builder
	svgOpen(&b, id, title)
	var maxC uint64
	for _, bn := range bins {
		maxC = max(maxC, bn.Count)
	}
	ys := newYScale(float64(maxC), 0, false, fmtNum)
	ys.drawAxis(&b, "messages")
	w := plotW / float64(len(bins))
	for i, bn := range bins {
		x := padL + w*float64(i)
		y := ys.y(float64(bn.Count))
		fmt.Fprintf(&b, `<rect class="bar" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s – %s: %d</title></rect>`,
			x+1, y, math.Max(w-2, 1), padT+plotH-y, fmtMicros(bn.Lo), fmtMicros(bn.Hi), bn.Count)
		if i%max(1, len(bins)/8) == 0 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" class="tick" text-anchor="middle">%s</text>`, x, padT+plotH+16, fmtMicros(bn.Lo))
		}
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" class="axis" text-anchor="middle">latency</text>`, padL+plotW/2, padT+plotH+38)
	for k, m := range marks { // dashed line at each percentile
		v := m.v
		for i, bn := range bins {
			if v >= bn.Lo && (v < bn.Hi || i == len(bins)-1) {
				frac := 0.5
				if bn.Hi > bn.Lo {
					frac = (v - bn.Lo) / (bn.Hi - bn.Lo)
				}
				x := padL + w*(float64(i)+math.Min(frac, 1))
				tx, anchor := x+3, "start"
				if x > padL+plotW*0.85 { // keep the label inside the plot
					tx, anchor = x-3, "end"
				}
				fmt.Fprintf(&b, `<line class="mark" x1="%.1f" x2="%.1f" y1="%.0f" y2="%.0f"/><text class="mark-text" x="%.1f" y="%.0f" text-anchor="%s">%s %s</text>`,
					x, x, padT, padT+plotH, tx, padT+14+14*float64(k), anchor, m.name, fmtMicros(v))
				break
			}
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
