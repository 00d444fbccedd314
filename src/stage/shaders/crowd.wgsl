// The lightstick crowd: one quad per stick, all in one mesh. The vertex shader waves every
// stick on the beat and colours it by the ocean's mode, so 50,000 sticks are one draw.
#import bevy_pbr::mesh_view_bindings::view
#import bevy_pbr::view_transformations::position_world_to_clip

struct Ocean {
    // Colours of the members (ocean modes) and the fandom, slot 0 the current single colour.
    colours: array<vec4<f32>, 8>,
    previous: array<vec4<f32>, 8>,
    // x beats, y mode (0 one colour, 1 member blocks, 2 wave), z previous mode, w blend 0..1.
    state: vec4<f32>,
    // x member colours in use, y brightness, z wave seconds, w unused.
    more: vec4<f32>,
};

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> ocean: Ocean;

struct Vertex {
    // The fan's hand.
    @location(0) position: vec3<f32>,
    // x across the stick (-1 to 1), y along it (0 hand, 1 tip).
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

@vertex
fn vertex(vertex: Vertex) -> Out {
    let beats = ocean.state.x;
    // A wave left and right, one swing per two beats, each fan a little early or late.
    let swing = sin((beats * 0.5 + vertex.seat.y * 0.15) * 6.2831853) * 0.55;
    let axis = vec3(sin(swing), cos(swing), 0.0);
    // Sticks right at the lens (the audience's own view) would fill the picture: they
    // shrink away within a few metres.
    let distance = length(view.world_position - vertex.position);
    let near = smoothstep(1.0, 3.5, distance);
    let along = vertex.position + axis * (0.42 * vertex.corner.y * near);
    let to_eye = view.world_position - along;
    let side = normalize(cross(axis, to_eye / max(length(to_eye), 1e-3)));
    // At least about a pixel wide, however far away.
    let width = max(0.022, distance * 0.0022) * near;
    let world = along + side * vertex.corner.x * width;

    var current = ocean.colours;
    var previous = ocean.previous;
    let now = mode_colour(u32(ocean.state.y), &current, vertex.seat);
    let before = mode_colour(u32(ocean.state.z), &previous, vertex.seat);
    var colour = mix(before, now, ocean.state.w);
    var level = ocean.more.y;
    if u32(ocean.state.y) == 2u {
        // A bright band travelling round the venue.
        let band = fract(vertex.seat.x - ocean.more.z * 0.12);
        level *= 0.35 + 0.65 * smoothstep(0.85, 1.0, band) + 0.65 * smoothstep(0.15, 0.0, band);
    }
    var out: Out;
    out.clip = position_world_to_clip(world);
    out.colour = vec4(colour * level, 1.0);
    out.corner = vertex.corner;
    return out;
}

@fragment
fn fragment(in: Out) -> @location(0) vec4<f32> {
    // Brightest down the middle and at the tip.
    let across = 1.0 - in.corner.x * in.corner.x;
    let tip = 0.6 + 0.4 * in.corner.y;
    return vec4(in.colour.rgb * across * tip * 1.6, 1.0);
}
