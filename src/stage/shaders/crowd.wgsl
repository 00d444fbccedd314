// The audience, all in two meshes of one quad per fan: her lightstick's light (a glowing
// point with a halo, added to the picture) and her silhouette (dark, cut out, standing on
// her tier). The vertex shader waves every light on the beat and colours it by the ocean's
// mode, so 50,000 fans are two draws.
//
// Lights are sized on screen: the stick's glow in metres, seen from the camera, clamped
// between MIN_PIXELS and MAX_PIXELS across, so a light never streaks across the lens and
// never vanishes in the distance.
#import bevy_pbr::mesh_view_bindings::view
#import bevy_pbr::view_transformations::position_world_to_clip

struct Ocean {
    // Colours of the members (ocean modes) and the fandom, slot 0 the current single colour.
    colours: array<vec4<f32>, 8>,
    previous: array<vec4<f32>, 8>,
    // x beats, y mode (0 one colour, 1 member blocks, 2 wave), z previous mode, w blend 0..1.
    state: vec4<f32>,
    // x member colours in use, y brightness, z wave seconds, w what this mesh draws
    // (0 lights, 1 silhouettes).
    more: vec4<f32>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> ocean: Ocean;

// A light's glow across, in metres, and its clamp on screen, in pixels.
const GLOW_METRES: f32 = 0.34;
const MIN_PIXELS: f32 = 2.5;
const MAX_PIXELS: f32 = 9.0;
// A silhouette's height and width, metres; how far from the camera it fades out.
const BODY_HEIGHT: f32 = 1.62;
const BODY_WIDTH: f32 = 0.5;
const BODY_FADE: f32 = 40.0;

struct Vertex {
    // The fan's hand.
    @location(0) position: vec3<f32>,
    // x across (-1 to 1), y along (lights -1 to 1, silhouettes 0 feet to 1 head).
    @location(2) corner: vec2<f32>,
    // x where the fan stands round the venue (0 to 1), y her own phase (0 to 1).
    @location(3) seat: vec2<f32>,
};

struct Out {
    @builtin(position) clip: vec4<f32>,
    @location(0) colour: vec4<f32>,
    @location(1) corner: vec2<f32>,
};

fn mode_colour(mode: u32, colours: ptr<function, array<vec4<f32>, 8>>, seat: vec2<f32>) -> vec3<f32> {
    let members = max(u32(ocean.more.x), 1u);
    switch mode {
        case 1u: {
            let block = u32(floor(seat.x * f32(members) * 3.0)) % members;
            return (*colours)[block + 1u].rgb;
        }
        case 2u: {
            let block = u32(floor(seat.x * f32(members) * 2.0 + ocean.more.z * 0.5)) % members;
            return (*colours)[block + 1u].rgb;
        }
        default: {
            return (*colours)[0].rgb;
        }
    }
}

// The fan's lightstick colour and brightness now.
fn stick_colour(seat: vec2<f32>) -> vec3<f32> {
    var current = ocean.colours;
    var previous = ocean.previous;
    let now = mode_colour(u32(ocean.state.y), &current, seat);
    let before = mode_colour(u32(ocean.state.z), &previous, seat);
    var level = ocean.more.y;
    if u32(ocean.state.y) == 2u {
        // A bright band travelling round the venue.
        let band = fract(seat.x - ocean.more.z * 0.12);
        level *= 0.35 + 0.65 * smoothstep(0.85, 1.0, band) + 0.65 * smoothstep(0.15, 0.0, band);
    }
    return mix(before, now, ocean.state.w) * level;
}

@vertex
fn vertex(vertex: Vertex) -> Out {
    let beats = ocean.state.x;
    // A wave left and right, one swing per two beats, each fan a little early or late.
    let swing = sin((beats * 0.5 + vertex.seat.y * 0.15) * 6.2831853) * 0.55;
    let colour = stick_colour(vertex.seat);
    var out: Out;
    out.corner = vertex.corner;
    if ocean.more.w < 0.5 {
        // The light at the stick's tip, a square facing the camera, sized in pixels.
        let tip = vertex.position + vec3(sin(swing), cos(swing), 0.0) * 0.42;
        let centre = position_world_to_clip(tip);
        let distance = length(view.world_position - tip);
        // Pixels per metre at this distance: the projection's focal length over the depth.
        let focal = view.clip_from_view[1][1] * view.viewport.w * 0.5;
        let pixels = clamp(GLOW_METRES * focal / max(distance, 0.01), MIN_PIXELS, MAX_PIXELS);
        let offset = vertex.corner * pixels / view.viewport.zw * 2.0 * centre.w;
        out.clip = centre + vec4(offset, 0.0, 0.0);
        // Lights right at the lens (the audience's own view) fade out within a few metres.
        out.colour = vec4(colour * smoothstep(1.0, 3.0, distance), 1.0);
    } else {
        // The fan standing on her tier, turned to the camera about the vertical.
        let feet = vertex.position - vec3(0.0, 1.55, 0.0);
        let to_eye = view.world_position - feet;
        let side = normalize(vec3(to_eye.z, 0.0, -to_eye.x) + vec3(1e-4, 0.0, 0.0));
        let world = feet + side * (vertex.corner.x * BODY_WIDTH * 0.5)
            + vec3(0.0, vertex.corner.y * BODY_HEIGHT, 0.0);
        out.clip = position_world_to_clip(world);
        let distance = length(to_eye);
        // Dark, lit a little from above by her own stick; gone into the dark far away, and
        // out of the way of a camera down among the fans.
        let shown = smoothstep(5.0, 8.0, distance) * (1.0 - smoothstep(BODY_FADE * 0.5, BODY_FADE, distance));
        out.colour = vec4(colour * 0.004 * vertex.corner.y, shown);
    }
    return out;
}

@fragment
fn fragment(in: Out) -> @location(0) vec4<f32> {
    if ocean.more.w < 0.5 {
        // A bright core and a soft halo, added to what is behind.
        let r2 = dot(in.corner, in.corner);
        let glow = exp(-r2 * 18.0) * 2.2 + exp(-r2 * 4.0) * 0.35;
        return vec4(in.colour.rgb * glow * smoothstep(1.0, 0.8, r2), 0.0);
    }
    // Head and shoulders: a circle on a rounded trapezoid, cut out of the quad.
    let p = vec2(in.corner.x * BODY_WIDTH * 0.5, in.corner.y * BODY_HEIGHT);
    let head = length(p - vec2(0.0, 1.45)) - 0.12;
    let shoulders = max(abs(p.x) - (0.22 - max(p.y - 1.15, 0.0) * 0.6), p.y - 1.3);
    let body = min(head, shoulders);
    // Fading ones drop out in a fixed 4x4 pattern of pixels.
    let cell = vec2<u32>(in.clip.xy) % vec2(4u);
    let threshold = (f32((cell.x * 4u + cell.y * 7u) % 16u) + 0.5) / 16.0;
    if body > 0.0 || in.colour.a < threshold {
        discard;
    }
    return vec4(in.colour.rgb + vec3(0.002, 0.002, 0.004), 1.0);
}
