// The LED wall: procedural visuals on the beat in the song's palette, seen through a grid of
// LED pixels (which fades out where the pixels get smaller than the screen's).
#import bevy_pbr::forward_io::VertexOutput

struct Wall {
    palette: array<vec4<f32>, 4>,
    // x beats since the song began, y pattern, z brightness, w effect flash.
    state: vec4<f32>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> wall: Wall;

const TAU: f32 = 6.2831853;

fn palette(t: f32) -> vec3<f32> {
    let x = fract(t) * 4.0;
    let index = u32(x);
    let next = (index + 1u) % 4u;
    return mix(wall.palette[index].rgb, wall.palette[next].rgb, smoothstep(0.0, 1.0, fract(x)));
}

fn hash(p: vec2<f32>) -> f32 {
    return fract(sin(dot(p, vec2(127.1, 311.7))) * 43758.5453);
}

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
    let uv = in.uv;
    let beats = wall.state.x;
    let pattern = u32(wall.state.y);
    let pulse = pow(1.0 - fract(beats), 2.0);
    let centred = (uv - 0.5) * vec2(2.4, 1.0);
    var colour = vec3(0.0);
    switch pattern {
        // Rings spreading from the centre on every beat.
        case 0u: {
            let r = length(centred);
            let ring = fract(r * 2.0 - beats * 0.5);
            colour = palette(r * 0.5 + beats * 0.0625) * (0.25 + 0.75 * smoothstep(0.7, 1.0, ring));
        }
        // Equalizer bars jumping on the beat.
        case 1u: {
            let column = floor(uv.x * 24.0);
            let height = 0.2 + 0.75 * hash(vec2(column, floor(beats))) * (0.4 + 0.6 * pulse);
            let on = step(1.0 - uv.y, height);
            colour = palette(column / 24.0 + beats * 0.03) * (0.1 + 0.9 * on);
        }
        // Slow diagonal waves of colour.
        case 2u: {
            let wave = sin((uv.x * 1.5 + uv.y) * TAU - beats * 0.5) * 0.5 + 0.5;
            colour = palette(wave * 0.5 + beats * 0.02) * (0.35 + 0.4 * wave);
        }
        // A starfield twinkling on the beat.
        case 3u: {
            let cell = floor(uv * vec2(96.0, 40.0));
            let star = hash(cell);
            let twinkle = step(0.93, star) * (0.4 + 0.6 * fract(star * 13.0 + beats * 0.25));
            colour = palette(0.1) * 0.12 + vec3(twinkle) * palette(star);
        }
        // Stripes chasing sideways, a step per beat.
        default: {
            let stripe = fract(uv.x * 6.0 - floor(beats) * 0.25 + uv.y * 0.5);
            colour = palette(floor(uv.x * 6.0 - floor(beats) * 0.25) / 6.0) * step(0.5, stripe);
        }
    }
    colour = colour * (0.55 + 0.45 * pulse) * wall.state.z + vec3(wall.state.w * 0.6);
    // LED pixels: round dots on a dark grid, smoothed away when they get smaller than a pixel.
    let grid = uv * vec2(320.0, 136.0);
    let dot_shape = 1.0 - smoothstep(0.3, 0.5, length(fract(grid) - 0.5));
    let size = max(fwidth(grid).x, fwidth(grid).y);
    let mask = mix(0.35 + 0.9 * dot_shape, 0.75, clamp(size * 1.5 - 0.5, 0.0, 1.0));
    return vec4(colour * mask, 1.0);
}
