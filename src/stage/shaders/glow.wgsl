// A surface that shows its own colour: LED panels, light strips, the dark arena floor.
// Vertex colours, when the mesh has them, tint it (and their alpha fades additive beams).
#import bevy_pbr::forward_io::VertexOutput

@group(#{MATERIAL_BIND_GROUP}) @binding(0) var<uniform> colour: vec4<f32>;

@fragment
fn fragment(in: VertexOutput) -> @location(0) vec4<f32> {
#ifdef VERTEX_COLORS
    return colour * in.color;
#else
    return colour;
#endif
}
