package main

import (
	"fmt"
	"image/color"
	"path/filepath"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/zl-dev/zl/bench/internal/results"
)

// A plotFile is a plot written, with what it shows.
type plotFile struct {
	Name    string // file name in the results directory
	Caption string
}

// palette colours the series of a plot in turn.
var palette = []color.Color{
	color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff},
	color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
	color.RGBA{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	color.RGBA{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
	color.RGBA{R: 0x94, G: 0x67, B: 0xbd, A: 0xff},
}

// writePlots writes the plots the sections of all allow, in dir.
func writePlots(dir string, all *All) ([]plotFile, error) {
	var out []plotFile
	if r := all.RestartLat; r != nil {
		if err := restartCDF(filepath.Join(dir, "restart-cdf.png"), r); err != nil {
			return nil, err
		}
		out = append(out, plotFile{"restart-cdf.png", "Restart latency CDF, crash → ready, zlr against the baselines (log scale)"})
	}
	if o := all.Overhead; o != nil {
		if err := overheadBars(filepath.Join(dir, "overhead.png"), o); err != nil {
			return nil, err
		}
		out = append(out, plotFile{"overhead.png", "Throughput and p99 latency under wrk, registered with zlr, relative to unregistered"})
	}
	if s := all.Scale; s != nil && (len(s.FDs) > 0 || len(s.Services) > 0) {
		if err := scaleCurves(filepath.Join(dir, "scale.png"), s); err != nil {
			return nil, err
		}
		out = append(out, plotFile{"scale.png", "Restart latency (interception → exec done, p50) against retained descriptors and registered services"})
	}
	return out, nil
}

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// save draws the plots side by side into a PNG at path.
func save(path string, width vg.Length, ps ...*plot.Plot) error {
	height := 4 * vg.Inch
	img := vgimg.New(width*vg.Length(len(ps)), height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: len(ps), PadX: vg.Millimeter * 4}
	for i, p := range ps {
		p.Draw(tiles.At(dc, i, 0))
	}
	return createPNG(path, img)
}

// restartCDF plots, per service, the CDF of crash → ready of zlr, the
// supervisors and fork → ready of a bare fork+execve.
func restartCDF(path string, r *results.RestartLat) error {
	var ps []*plot.Plot
	for _, svc := range restartServices(r) {
		p := plot.New()
		p.Title.Text = svc
		p.X.Label.Text = "milliseconds (log)"
		p.Y.Label.Text = "fraction of restarts"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		p.Legend.Top = false
		p.Legend.Left = false
		i := 0
		for _, s := range r.Series {
			if s.Service != svc || len(s.Dist.CDF) == 0 ||
				(s.Measure != results.CrashToReady && s.Measure != results.StartToReady && s.Measure != results.InterceptToExec) {
				continue
			}
			pts := make(plotter.XYs, 0, len(s.Dist.CDF))
			for j, d := range s.Dist.CDF {
				if d <= 0 {
					continue
				}
				pts = append(pts, plotter.XY{X: millis(d), Y: float64(j) / float64(len(s.Dist.CDF)-1)})
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return fmt.Errorf("plot %s: %w", path, err)
			}
			l.Color = palette[i%len(palette)]
			l.Width = vg.Points(1.5)
			p.Add(l)
			p.Legend.Add(s.Mode+": "+s.Measure, l)
			i++
		}
		ps = append(ps, p)
	}
	return save(path, 6*vg.Inch, ps...)
}

// overheadBars plots zlr's throughput and p99 latency relative to the
// unregistered server, per load.
func overheadBars(path string, o *results.Overhead) error {
	p := plot.New()
	p.Title.Text = "registered with zlr ÷ unregistered (medians)"
	p.Y.Label.Text = "ratio"
	var loads []string
	var tput, p99 plotter.Values
	for _, load := range []string{"static", "cgi"} {
		plain, zlr := findOverhead(o, load, "plain"), findOverhead(o, load, results.ModeZLR)
		if plain == nil || zlr == nil || plain.ReqPerSec == 0 || plain.P99 == 0 {
			continue
		}
		loads = append(loads, load)
		tput = append(tput, zlr.ReqPerSec/plain.ReqPerSec)
		p99 = append(p99, float64(zlr.P99)/float64(plain.P99))
	}
	if len(loads) == 0 {
		return nil
	}
	w := vg.Points(30)
	for i, v := range []struct {
		name string
		vals plotter.Values
	}{{"throughput", tput}, {"p99 latency", p99}} {
		b, err := plotter.NewBarChart(v.vals, w)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		b.Color = palette[i]
		b.Offset = w * vg.Length(2*i-1) / 2
		p.Add(b)
		p.Legend.Add(v.name, b)
	}
	one, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 1}, {X: float64(len(loads)) - 0.5, Y: 1}})
	if err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	one.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
	p.Add(one)
	p.NominalX(loads...)
	p.Y.Min = 0
	p.Y.Max = 1.2
	p.Legend.Top = true
	return save(path, 5*vg.Inch, p)
}

// scaleCurves plots the restart latency against the retained descriptors
// and against the registered services.
func scaleCurves(path string, s *results.Scale) error {
	var ps []*plot.Plot
	for _, c := range []struct {
		title, x string
		pts      []results.ScalePoint
	}{
		{"against retained descriptors", "tracked connections kept (log)", s.FDs},
		{"against registered services", "registered services (log)", s.Services},
	} {
		if len(c.pts) == 0 {
			continue
		}
		p := plot.New()
		p.Title.Text = "restart latency " + c.title
		p.X.Label.Text = c.x
		p.Y.Label.Text = "interception → exec done, p50 (ms)"
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = plot.LogTicks{Prec: -1}
		pts := make(plotter.XYs, 0, len(c.pts))
		for _, pt := range c.pts {
			if pt.X > 0 {
				pts = append(pts, plotter.XY{X: float64(pt.X), Y: millis(pt.Dist.P50)})
			}
		}
		l, sc, err := plotter.NewLinePoints(pts)
		if err != nil {
			return fmt.Errorf("plot %s: %w", path, err)
		}
		l.Color, sc.Color = palette[0], palette[0]
		p.Add(l, sc)
		p.Y.Min = 0
		ps = append(ps, p)
	}
	return save(path, 5*vg.Inch, ps...)
}
